export { createTestPostgres, testServerUrl, DEFAULT_TEST_SERVER } from './postgres.js';
export { createTestSqlite } from './sqlite.js';
export { TcpProxy } from './tcp-proxy.js';
