import { loadConfig } from './config/env.js';
import { createDatabase, type Database } from './database.js';
import type { DocumentService } from './services/document-service.js';
import type { MessageService } from './services/message-service.js';
import type { QueryService } from './services/query-service.js';
import type { UserProfileService } from './services/user-profile-service.js';

let pending: Promise<Database> | null = null;

/**
 * The process-wide database, configured from the environment on first use (`loadConfig()`).
 * A failed start-up is not cached: the next call tries again.
 * @throws DatabaseError as `loadConfig` and `createDatabase` do.
 */
export function getDatabase(): Promise<Database> {
  pending ??= createDatabase(loadConfig()).catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}

/** Closes the process-wide database (draining shadow writes). A later call to a service opens it again. */
export async function closeDatabase(): Promise<{ drained: boolean; remaining: number } | null> {
  if (!pending) return null;
  const p = pending;
  pending = null;
  return (await p).close();
}

function lazy<T extends object>(pick: (db: Database) => T): T {
  return new Proxy({} as T, {
    get(_t, prop) {
      return async (...args: unknown[]) => {
        const svc = pick(await getDatabase()) as Record<string | symbol, (...a: unknown[]) => unknown>;
        return svc[prop]!.apply(svc, args);
      };
    },
  });
}

/** Messages service of the process-wide database (configured from the environment on first call). */
export const messageService: MessageService = lazy((db) => db.messageService);
/** Query-tracking service of the process-wide database. */
export const queryService: QueryService = lazy((db) => db.queryService);
/** Documents service of the process-wide database. */
export const documentService: DocumentService = lazy((db) => db.documentService);
/** User-profile service of the process-wide database. */
export const userProfileService: UserProfileService = lazy((db) => db.userProfileService);
