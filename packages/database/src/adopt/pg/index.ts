export { adoptPostgres, buildPgPlan, pgPlanStatements, pgTableChecksums, type PgAdoptEvent, type PgAdoptOptions, type PgAdoptPlan, type PgAdoptResult, type PgPlanStep, type PgTableChecksum } from './apply.js';
export { classifyPostgres, detectPostgresLayout, PG_LEGACY_KINDS, pgLayoutLeft, type PgConversion, type PgDetectedLayout, type PgDifferences, type PgLayoutKind } from './detect.js';
export { assertPostgresAdopted, detectPostgresLayoutOrUnreachable } from './guard.js';
export { inspectPostgres, type PgSchemaInspection } from './inspect.js';
