export { loadConfig, type DatabaseConfig, type ShadowLimits } from './config/env.js';
export { ACCEPTED_FLAG_VALUES, parseFlag } from './config/flags.js';
export { derivePhase, type Phase, type PhaseFlags, type Routing } from './config/phase.js';
export { createDatabase, type BackendHealth, type CreateOptions, type Database } from './database.js';
export { closeDatabase, documentService, getDatabase, messageService, queryService, userProfileService } from './default-database.js';
export { DatabaseError, describeError, isConnectionError, isDatabaseError, type ErrorCode } from './errors.js';
export { keyId, newId, nowSeconds } from './ids.js';
export { createLogger, redact, redactUrl, type Logger } from './logger.js';
export { migratePostgres, migrateSqlite, migrationsFolder } from './migrations/migrate.js';
export type { ShadowStats, ShadowTableCounts } from './routing/shadow-queue.js';
export type { PgPoolStats } from './stores/pg/pg-connection.js';
export { DEFAULT_COMPARE_READS_RATE, type CompareReadsSettings } from './routing/compare-reads.js';
export { COMPARE_WINDOW_MINUTES, type CompareCounts, type CompareDropReason, type CompareMismatchNote, type ComparedReadsSnapshot } from './routing/compare-stats.js';
export { LATENCY_BUCKETS_S, type LatencyBuckets, type LatencyHistogram } from './routing/latency.js';
export { DEFAULT_DATA_DIR, LAST_VERIFY_FILE, readLastVerify, type VerifySummary } from './transfer/verify-report.js';
export { LAST_GATE_FILE, readLastGate, type GateSummary } from './transfer/gate-report.js';
export { tableNames, tables, type TableName, type TableSpec } from './schema/tables.js';
export { idProblem } from './services/context.js';
export { sanitizeJson, sanitizeText } from './services/sanitize.js';
export { searchTerms } from './services/search-terms.js';
export type { AddCollaboratorInput, CreateDocumentInput, DocumentService } from './services/document-service.js';
export type { MessageCountInput, MessageService, QueryMessagesInput, SaveAIMessageInput, SaveHumanMessageInput, SaveToolExecutionInput } from './services/message-service.js';
export { queryResultValue, type QueryService, type SaveQueryInput } from './services/query-service.js';
export type {
  DocumentCollaboratorRecord,
  DocumentRecord,
  MessageRecord,
  QueryRecord,
  SenderType,
  UserAnalysisHistoryRecord,
  UserProfileRecord,
} from './services/record.js';
export type { UserProfileService, UserProfileUpdates } from './services/user-profile-service.js';
export type { Row, RowChange, Store } from './stores/store.js';
export { assertAdopted, detectLayout, type DetectedLayout, type LayoutKind } from './adopt/index.js';
