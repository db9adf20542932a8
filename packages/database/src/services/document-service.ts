import { z } from 'zod';
import { DatabaseError, isDatabaseError } from '../errors.js';
import { keyId, newId, nowSeconds } from '../ids.js';
import type { Row, Store } from '../stores/store.js';
import { parseInput, sanitizeRow, withRetry, zId, zJsonObject, zLimit, zOffset, zText, type ServiceContext } from './context.js';
import { toRecord, type DocumentCollaboratorRecord, type DocumentRecord } from './record.js';

/** Longest document title and content accepted, in characters. */
export const MAX_TITLE_CHARS = 500;
export const MAX_CONTENT_CHARS = 5_000_000;
/** At most this many collaborators are read per document. */
export const MAX_COLLABORATORS = 10_000;

const zTitle = z.string().min(1).max(MAX_TITLE_CHARS);
const zContent = zText(MAX_CONTENT_CHARS);
const zRole = z.string().min(1).max(50);

const createInput = z.object({
  /** The document id to store instead of a new UUIDv7 (optional, additive: omega-bot's calls never pass it). */
  id: zId.optional(),
  title: zTitle,
  content: zContent.default(''),
  createdBy: zId,
  createdByUsername: zText(200).optional(),
  isPublic: z.boolean().default(true),
  metadata: zJsonObject.optional(),
});
const listInput = z.object({ createdBy: zId.optional(), limit: zLimit(50, 1000), offset: zOffset }).prefault({});
const countInput = z.object({ createdBy: zId.optional() }).prefault({});
const collaboratorInput = z.object({ documentId: zId, userId: zId, username: zText(200).optional(), role: zRole.default('editor') });

/** Input of {@link DocumentService.createDocument}. */
export type CreateDocumentInput = z.input<typeof createInput>;
/** Input of {@link DocumentService.addCollaborator}. */
export type AddCollaboratorInput = z.input<typeof collaboratorInput>;

/**
 * omega-bot's `documentService`: shared documents and their collaborators. Multi-row writes
 * (create with its owner, delete with its collaborators) run in one transaction; every delete
 * leaves a tombstone, so a late shadow write cannot bring a row back.
 */
export class DocumentService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Creates a document (public unless `isPublic: false`) and adds its creator as collaborator
   * with role 'owner', in one transaction. Times unix s.
   * Optional `id` (additive, not omega-bot's: its calls never pass it): the document id to store
   * instead of a new UUIDv7 (the owner row's id is then derived from it, `keyId('document_collaborators',
   * 'owner', id)`); when a document with that id exists, the transaction fails with the backend's
   * unique-key error and nothing is written (the bot derives it from the platform message, so a
   * duplicate `!doc new` collides).
   * @returns the document as stored. @throws DatabaseError `INVALID_INPUT`; the backend's unique-key error for a taken `id`.
   */
  async createDocument(p: CreateDocumentInput): Promise<DocumentRecord> {
    const v = parseInput(createInput, p, 'createDocument');
    const now = nowSeconds();
    const doc: Row = {
      id: v.id ?? newId(),
      title: v.title,
      content: v.content,
      created_by: v.createdBy,
      created_by_username: v.createdByUsername ?? null,
      created_at: now,
      updated_at: now,
      is_public: v.isPublic,
      metadata: v.metadata ?? null,
      version: 1,
    };
    sanitizeRow(this.ctx, 'documents', doc);
    const owner: Row = { id: v.id === undefined ? newId() : keyId('document_collaborators', 'owner', v.id), document_id: doc.id, user_id: v.createdBy, username: v.createdByUsername ?? null, role: 'owner', joined_at: now, updated_at: now, version: 1 };
    sanitizeRow(this.ctx, 'document_collaborators', owner);
    const stored = await this.ctx.store.transaction(async (tx) => {
      const row = await tx.insert('documents', doc);
      await tx.insert('document_collaborators', owner);
      return row;
    });
    return toRecord('documents', stored);
  }

  /** One document by id, or null. @throws DatabaseError `INVALID_INPUT` (empty id). */
  async getDocument(id: string): Promise<DocumentRecord | null> {
    const row = await this.ctx.store.get('documents', parseInput(zId, id, 'getDocument'));
    return row ? toRecord('documents', row) : null;
  }

  /**
   * Replaces the content (`version` + 1, `updated_at` = now). A missing document is a no-op, as
   * in omega-bot. @throws DatabaseError `INVALID_INPUT`.
   */
  async updateDocumentContent(id: string, content: string): Promise<void> {
    parseInput(zId, id, 'updateDocumentContent');
    await this.#update(id, { content: parseInput(zContent, content, 'updateDocumentContent') });
  }

  /** Replaces the title, as {@link updateDocumentContent}. @throws DatabaseError `INVALID_INPUT`. */
  async updateDocumentTitle(id: string, title: string): Promise<void> {
    parseInput(zId, id, 'updateDocumentTitle');
    await this.#update(id, { title: parseInput(zTitle, title, 'updateDocumentTitle') });
  }

  async #update(id: string, patch: Row): Promise<void> {
    sanitizeRow(this.ctx, 'documents', patch, undefined, id);
    try {
      await this.ctx.store.update('documents', id, patch, { now: nowSeconds() });
    } catch (e) {
      if (!isDatabaseError(e, 'NOT_FOUND')) throw e;
    }
  }

  /**
   * Deletes a document and its collaborators (omega-bot's ON DELETE CASCADE), each with a
   * tombstone, in one transaction. A missing document is a no-op. @throws DatabaseError `INVALID_INPUT`.
   */
  async deleteDocument(id: string): Promise<void> {
    parseInput(zId, id, 'deleteDocument');
    await this.ctx.store.transaction(async (tx) => {
      const now = nowSeconds();
      for (let batch = await collaboratorsOf(tx, id, ['id']); batch.length > 0; batch = await collaboratorsOf(tx, id, ['id'])) {
        for (const c of batch) await tx.delete('document_collaborators', String(c.id), now);
      }
      await tx.delete('documents', id, now);
    });
  }

  /**
   * Documents newest-updated first (`updated_at` DESC, then id DESC), of one creator or all,
   * after `offset`, at most `limit` (default 50, at most 1000). @throws DatabaseError `INVALID_INPUT`.
   */
  async listDocuments(p?: { createdBy?: string; limit?: number; offset?: number }): Promise<DocumentRecord[]> {
    const v = parseInput(listInput, p, 'listDocuments');
    const rows = await this.ctx.store.find('documents', { created_by: v.createdBy }, { orderBy: [['updated_at', 'desc'], ['id', 'desc']], limit: v.limit, offset: v.offset });
    return rows.map((r) => toRecord('documents', r));
  }

  /** How many documents one user (or everyone) created. @throws DatabaseError `INVALID_INPUT`. */
  async getDocumentCount(p?: { createdBy?: string }): Promise<number> {
    const v = parseInput(countInput, p, 'getDocumentCount');
    return this.ctx.store.count('documents', { created_by: v.createdBy });
  }

  /**
   * Adds a collaborator (role default 'editor'), or, when the user already is one, sets the new
   * username and role (omega-bot's upsert on document_id + user_id). Concurrent adds of the same
   * user are retried, so one row results.
   * @throws DatabaseError `INVALID_INPUT`, `NOT_FOUND` (no such document: PostgreSQL's foreign key
   * would refuse it, so LibSQL refuses it too).
   */
  async addCollaborator(p: AddCollaboratorInput): Promise<void> {
    const v = parseInput(collaboratorInput, p, 'addCollaborator');
    const fields: Row = { username: v.username ?? null, role: v.role };
    sanitizeRow(this.ctx, 'document_collaborators', fields, undefined, v.documentId);
    await withRetry(() =>
      this.ctx.store.transaction(async (tx) => {
        if (!(await tx.get('documents', v.documentId))) throw new DatabaseError('NOT_FOUND', `document ${v.documentId} not found`, { documentId: v.documentId });
        const now = nowSeconds();
        const [existing] = await tx.find('document_collaborators', { document_id: v.documentId, user_id: v.userId }, { orderBy: [['id', 'asc']], limit: 1 });
        if (existing) await tx.update('document_collaborators', String(existing.id), fields, { now });
        else await tx.insert('document_collaborators', { id: newId(), document_id: v.documentId, user_id: v.userId, ...fields, joined_at: now, updated_at: now, version: 1 });
      }),
    );
  }

  /** Removes a collaborator (with a tombstone); a no-op when they are not one. @throws DatabaseError `INVALID_INPUT`. */
  async removeCollaborator(documentId: string, userId: string): Promise<void> {
    parseInput(z.object({ documentId: zId, userId: zId }), { documentId, userId }, 'removeCollaborator');
    await this.ctx.store.transaction(async (tx) => {
      const rows = await tx.find('document_collaborators', { document_id: documentId, user_id: userId }, { orderBy: [['id', 'asc']], limit: MAX_COLLABORATORS, columns: ['id'] });
      const now = nowSeconds();
      for (const r of rows) await tx.delete('document_collaborators', String(r.id), now);
    });
  }

  /** A document's collaborators, earliest joined first (`joined_at`, then id). @throws DatabaseError `INVALID_INPUT`. */
  async getDocumentCollaborators(documentId: string): Promise<DocumentCollaboratorRecord[]> {
    const rows = await collaboratorsOf(this.ctx.store, parseInput(zId, documentId, 'getDocumentCollaborators'));
    return rows.map((r) => toRecord('document_collaborators', r));
  }

  /**
   * Whether `userId` may open the document: false when there is no such document; true when it
   * is public, `userId` created it, or is a collaborator. @throws DatabaseError `INVALID_INPUT`.
   */
  async hasDocumentAccess(documentId: string, userId: string): Promise<boolean> {
    parseInput(z.object({ documentId: zId, userId: zId }), { documentId, userId }, 'hasDocumentAccess');
    const doc = await this.ctx.store.get('documents', documentId);
    if (!doc) return false;
    if (doc.is_public === true || doc.created_by === userId) return true;
    return (await this.ctx.store.count('document_collaborators', { document_id: documentId, user_id: userId })) > 0;
  }
}

function collaboratorsOf(store: Store, documentId: string, columns?: string[]): Promise<Row[]> {
  return store.find('document_collaborators', { document_id: documentId }, { orderBy: [['joined_at', 'asc'], ['id', 'asc']], limit: MAX_COLLABORATORS, columns });
}
