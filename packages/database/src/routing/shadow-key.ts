import type { RowChange } from '../stores/store.js';

/**
 * The ordering lane of a shadow job. Jobs in one lane are applied in commit order:
 * documents and collaborators share a lane (a collaborator must not reach the shadow before its
 * document: foreign key); a user's profile and its history share that user's lane; messages and
 * queries are independent rows and run fully in parallel.
 */
export function shadowKey(changes: readonly RowChange[]): string {
  const first = changes[0]!;
  switch (first.table) {
    case 'documents':
    case 'document_collaborators':
      return 'documents';
    case 'user_profiles':
    case 'user_analysis_history':
      return first.op === 'upsert' ? `user:${String(first.row.user_id)}` : `user-row:${first.id}`;
    default:
      return `${first.table}:${first.op === 'upsert' ? String(first.row.id) : first.id}`;
  }
}
