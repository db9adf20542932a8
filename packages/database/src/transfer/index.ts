/**
 * The transfer tools behind `db check|export|import|copy|verify|reconcile|status|gate`. One file
 * per command at this level (check, export, import, copy, verify, reconcile, status, gate, with
 * their report formatters); the machinery in folders:
 * - `source/`: reading LibSQL (one snapshot, exact integers), the LibSQL ↔ PostgreSQL pair, migration status;
 * - `convert/`: the one conversion of legacy values (coerce, convert), the canonical row, verify's import form;
 * - `files/`: export files (atomic writes, NDJSON, metadata.json) and reject files;
 * - `load/`: bulk loading into PostgreSQL (COPY, guarded upserts, bisection of failing batches, lanes);
 * - `verify-pass/`: verify's fast row-by-row pass (SQL-built row bytes, chunk readers, comparison).
 */
export { checkDatabase, type CheckOptions, type CheckReport, type ColumnProfile, type TableProfile } from './check.js';
export { CONVERSION_POLICY, formatCheckReport } from './check-report.js';
export { Converter, isSanitizeNote, type ColumnNote, type Conversion, type Reject, type RejectStage } from './convert/convert.js';
export { copyDatabase, type CopyOptions, type CopySummary } from './copy.js';
export { exportDatabase, exportRejectsPath, type ExportOptions, type ExportSummary } from './export.js';
export { importDirectory, type ImportOptions, type ImportSummary, type ImportTableSummary } from './import.js';
export { EXPORT_FORMAT, readMetadata, validateExport, type ExportedTable, type ExportMetadata } from './files/metadata.js';
export { journal, migrationStatus, postgresMigrationStatus, sqliteMigrationStatus, type BackendMigrationStatus } from './source/migration-status.js';
export { canonicalJson, normalizeRow, rowChecksum } from './convert/normalize-row.js';
export { formatExportSummary, formatLoadSummary, formatTable, type TableSummary, type TransferProgress } from './summary.js';
export { backfillOrderWarning, journalModeWarning } from './source/warnings.js';
