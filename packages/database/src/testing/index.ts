export { createTestPostgres, testServerUrl, DEFAULT_TEST_SERVER } from './postgres.js';
export { createTestSqlite } from './sqlite.js';
export { TcpProxy } from './tcp-proxy.js';
export { buildOmegaDatabase, omegaInsertSql, omegaRows, omegaColumns, omegaSchemaSteps, runOmegaSchema, type FixtureLayout, type OmegaFixture, type OmegaFixtureOptions, type OmegaVersion, type OmegaSchemaStep } from './omega-fixture.js';
export { buildOmegaPostgres, omegaPgSchemaStatements, type OmegaPgFixture, type OmegaPgFixtureOptions } from './omega-pg-fixture.js';
