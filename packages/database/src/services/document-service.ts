import { z } from 'zod';
import { DatabaseError } from '../errors.js';
import { keyId, newId, nowSeconds } from '../ids.js';
import type { Row, Store } from '../stores/store.js';
import { camelRow } from './case.js';
import { parseInput, sanitizeRow, zId, zJsonObject, zLimit, type ServiceContext } from './context.js';

/** A collaborative document. Timestamps unix s; `version` increments on every change. */
export interface Document {
  id: string;
  ownerId: string;
  title: string;
  content: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  version: number;
}

/** Roles of a collaborator. Viewers read; editors also update. The owner does everything. */
export type CollaboratorRole = 'viewer' | 'editor';

export interface Collaborator {
  id: string;
  documentId: string;
  userId: string;
  role: CollaboratorRole;
  addedBy: string;
  createdAt: number;
  updatedAt: number;
  version: number;
}

const createInput = z.object({ ownerId: zId, title: z.string().min(1).max(500), content: z.string().max(5_000_000).default(''), metadata: zJsonObject.optional() });
const updateInput = z.object({
  documentId: zId,
  userId: zId,
  /** The version the caller read; a newer stored version is a VERSION_CONFLICT. */
  expectedVersion: z.number().int().min(1),
  title: z.string().min(1).max(500).optional(),
  content: z.string().max(5_000_000).optional(),
  metadata: zJsonObject.optional(),
});
const shareInput = z.object({ documentId: zId, actorId: zId, userId: zId, role: z.enum(['viewer', 'editor']).default('viewer') });

/** Documents with owners, collaborators and optimistic versioning. */
export class DocumentService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Creates a document owned by `ownerId`. @throws DatabaseError `INVALID_INPUT`. */
  async createDocument(input: z.input<typeof createInput>): Promise<Document> {
    const v = parseInput(createInput, input, 'createDocument');
    const now = nowSeconds();
    const row: Row = { id: newId(), owner_id: v.ownerId, title: v.title, content: v.content, metadata: v.metadata ?? {}, created_at: now, updated_at: now, version: 1 };
    sanitizeRow(this.ctx, 'documents', row, ['title', 'content', 'metadata']);
    return camelRow<Document>(await this.ctx.store.insert('documents', row));
  }

  /** The document if `userId` owns it or collaborates on it, else null (no hint that it exists). */
  async getDocument(input: { documentId: string; userId: string }): Promise<Document | null> {
    const v = parseInput(z.object({ documentId: zId, userId: zId }), input, 'getDocument');
    const doc = await this.ctx.store.get('documents', v.documentId);
    if (!doc || !(await roleOf(this.ctx.store, doc, v.userId))) return null;
    return camelRow<Document>(doc);
  }

  /**
   * Updates title/content/metadata if `userId` is the owner or an editor and the stored version is
   * `expectedVersion`.
   * @throws DatabaseError `NOT_FOUND`, `FORBIDDEN` (viewer), `VERSION_CONFLICT` (details.currentVersion).
   */
  async updateDocument(input: z.input<typeof updateInput>): Promise<Document> {
    const v = parseInput(updateInput, input, 'updateDocument');
    const patch: Row = {};
    if (v.title !== undefined) patch.title = v.title;
    if (v.content !== undefined) patch.content = v.content;
    if (v.metadata !== undefined) patch.metadata = v.metadata;
    sanitizeRow(this.ctx, 'documents', patch, Object.keys(patch), v.documentId);
    return this.ctx.store.transaction(async (tx) => {
      const doc = await visibleOrThrow(tx, v.documentId, v.userId);
      const role = await roleOf(tx, doc, v.userId);
      if (role === 'viewer') throw new DatabaseError('FORBIDDEN', `${v.userId} may only view document ${v.documentId}`, { documentId: v.documentId });
      return camelRow<Document>(await tx.update('documents', v.documentId, patch, { now: nowSeconds(), expectedVersion: v.expectedVersion }));
    });
  }

  /**
   * Shares a document (owner only); adding an existing collaborator changes their role.
   * @throws DatabaseError `NOT_FOUND`, `FORBIDDEN` (actor is not the owner), `INVALID_INPUT` (sharing with the owner).
   */
  async addCollaborator(input: z.input<typeof shareInput>): Promise<Collaborator> {
    const v = parseInput(shareInput, input, 'addCollaborator');
    return this.ctx.store.transaction(async (tx) => {
      const doc = await ownedOrThrow(tx, v.documentId, v.actorId);
      if (v.userId === doc.owner_id) throw new DatabaseError('INVALID_INPUT', 'the owner is not a collaborator of their own document');
      const id = keyId('collaborator', v.documentId, v.userId);
      const now = nowSeconds();
      const existing = await tx.get('document_collaborators', id);
      if (existing) return camelRow<Collaborator>(await tx.update('document_collaborators', id, { role: v.role }, { now }));
      // A re-added collaborator continues after its tombstone's version, so shadows converge.
      const version = ((await tx.tombstoneVersion('document_collaborators', id)) ?? 0) + 1;
      const row: Row = { id, document_id: v.documentId, user_id: v.userId, role: v.role, added_by: v.actorId, created_at: now, updated_at: now, version };
      return camelRow<Collaborator>(await tx.insert('document_collaborators', row));
    });
  }

  /** Removes a collaborator (owner only, or the collaborator themself). Returns false when they were not one. */
  async removeCollaborator(input: { documentId: string; actorId: string; userId: string }): Promise<boolean> {
    const v = parseInput(z.object({ documentId: zId, actorId: zId, userId: zId }), input, 'removeCollaborator');
    return this.ctx.store.transaction(async (tx) => {
      if (v.actorId !== v.userId) await ownedOrThrow(tx, v.documentId, v.actorId);
      return (await tx.delete('document_collaborators', keyId('collaborator', v.documentId, v.userId), nowSeconds())) !== null;
    });
  }

  /** Collaborators of a document the user can see. */
  async getCollaborators(input: { documentId: string; userId: string }): Promise<Collaborator[]> {
    const doc = await this.getDocument(input);
    if (!doc) return [];
    const rows = await this.ctx.store.find('document_collaborators', { document_id: doc.id }, { orderBy: [['created_at', 'asc'], ['id', 'asc']], limit: 1000 });
    return rows.map((r) => camelRow<Collaborator>(r));
  }

  /** Documents the user owns or collaborates on, most recently updated first. */
  async listDocumentsForUser(userId: string, opts: { limit?: number } = {}): Promise<Document[]> {
    const v = parseInput(z.object({ userId: zId, limit: zLimit(50, 1000) }), { userId, ...opts }, 'listDocumentsForUser');
    return (await this.ctx.store.listDocumentsForUser(v.userId, v.limit)).map((r) => camelRow<Document>(r));
  }

  /**
   * Deletes a document and its collaborators (owner only), in one transaction; each delete is a
   * tombstone for the shadow.
   * @throws DatabaseError `NOT_FOUND`, `FORBIDDEN`.
   */
  async deleteDocument(input: { documentId: string; userId: string }): Promise<void> {
    const v = parseInput(z.object({ documentId: zId, userId: zId }), input, 'deleteDocument');
    await this.ctx.store.transaction(async (tx) => {
      await ownedOrThrow(tx, v.documentId, v.userId);
      const collaborators = await tx.find('document_collaborators', { document_id: v.documentId }, { orderBy: [['id', 'asc']], limit: 100_000, columns: ['id'] });
      const now = nowSeconds();
      for (const c of collaborators) await tx.delete('document_collaborators', String(c.id), now);
      await tx.delete('documents', v.documentId, now);
    });
  }
}

async function roleOf(store: Store, doc: Row, userId: string): Promise<'owner' | CollaboratorRole | null> {
  if (doc.owner_id === userId) return 'owner';
  const c = await store.get('document_collaborators', keyId('collaborator', String(doc.id), userId));
  return c ? (c.role as CollaboratorRole) : null;
}

async function visibleOrThrow(store: Store, documentId: string, userId: string): Promise<Row> {
  const doc = await store.get('documents', documentId);
  if (!doc || !(await roleOf(store, doc, userId))) throw new DatabaseError('NOT_FOUND', `document ${documentId} not found`, { documentId });
  return doc;
}

async function ownedOrThrow(store: Store, documentId: string, userId: string): Promise<Row> {
  const doc = await visibleOrThrow(store, documentId, userId);
  if (doc.owner_id !== userId) throw new DatabaseError('FORBIDDEN', `only the owner may do this to document ${documentId}`, { documentId });
  return doc;
}
