export { adoptableFile, adoptSqlite, defaultBackupPath, type AdoptEvent, type AdoptOptions, type AdoptResult } from './apply.js';
export { checksumDifferences, tableChecksums, type TableChecksum } from './checksum.js';
export { classifyLayout, detectLayout, LEGACY_KINDS, type DetectedLayout, type LayoutKind } from './detect.js';
export { checksumLines, formatPlan, stepLine } from './format.js';
export { assertAdopted, legacyMessage } from './guard.js';
export { inspectSchema, type SchemaInspection, type SchemaReader } from './inspect.js';
export { buildPlan, planStatements, type AdoptPlan, type PlanStatement, type PlanStep } from './plan.js';
