// DocumentService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { expect, it } from 'vitest';
import { isDatabaseError, type DatabaseError } from '../src/errors.js';
import { keyId, newId } from '../src/ids.js';
import { describePhases } from './helpers/service-phases.js';

const uniq = (p: string) => `${p}-${newId()}`;

async function failure(p: Promise<unknown>): Promise<DatabaseError> {
  const e = await p.then(
    () => new Error('resolved'),
    (err: unknown) => err,
  );
  if (!isDatabaseError(e)) throw new Error(`expected a DatabaseError, got ${String(e)}`);
  return e;
}

describePhases('DocumentService', ['1', '6'], ({ db }) => {
  const people = () => ({ owner: uniq('owner'), editor: uniq('editor'), viewer: uniq('viewer'), stranger: uniq('stranger') });

  async function sharedDoc() {
    const p = people();
    const svc = db().documentService;
    const doc = await svc.createDocument({ ownerId: p.owner, title: 'Plan', content: 'v1', metadata: { tags: ['a'] } });
    await svc.addCollaborator({ documentId: doc.id, actorId: p.owner, userId: p.editor, role: 'editor' });
    await svc.addCollaborator({ documentId: doc.id, actorId: p.owner, userId: p.viewer });
    return { ...p, doc, svc };
  }

  it('creates a document at version 1 and gets it back for the owner', async () => {
    const svc = db().documentService;
    const owner = uniq('owner');
    const doc = await svc.createDocument({ ownerId: owner, title: 'T' });
    expect(doc).toMatchObject({ ownerId: owner, title: 'T', content: '', metadata: {}, version: 1 });
    expect(await svc.getDocument({ documentId: doc.id, userId: owner })).toEqual(doc);
    expect((await failure(svc.createDocument({ ownerId: owner, title: '' }))).code).toBe('INVALID_INPUT');
  });

  it('getDocument: collaborators see it; a stranger gets null, as for a missing document', async () => {
    const { svc, doc, editor, viewer, stranger } = await sharedDoc();
    expect((await svc.getDocument({ documentId: doc.id, userId: editor }))?.id).toBe(doc.id);
    expect((await svc.getDocument({ documentId: doc.id, userId: viewer }))?.id).toBe(doc.id);
    expect(await svc.getDocument({ documentId: doc.id, userId: stranger })).toBeNull();
    expect(await svc.getDocument({ documentId: newId(), userId: stranger })).toBeNull();
    expect(await svc.getCollaborators({ documentId: doc.id, userId: stranger })).toEqual([]);
    expect((await svc.getCollaborators({ documentId: doc.id, userId: viewer })).map((c) => [c.userId, c.role]).sort()).toEqual(
      [[editor, 'editor'], [viewer, 'viewer']].sort(),
    );
  });

  it('updateDocument: owner and editor may, with the current version; stale → VERSION_CONFLICT', async () => {
    const { svc, doc, owner, editor } = await sharedDoc();
    const v2 = await svc.updateDocument({ documentId: doc.id, userId: owner, expectedVersion: 1, title: 'Plan B' });
    expect(v2).toMatchObject({ title: 'Plan B', content: 'v1', version: 2 });
    const v3 = await svc.updateDocument({ documentId: doc.id, userId: editor, expectedVersion: 2, content: 'edited', metadata: { tags: [] } });
    expect(v3).toMatchObject({ title: 'Plan B', content: 'edited', metadata: { tags: [] }, version: 3 });
    const stale = await failure(svc.updateDocument({ documentId: doc.id, userId: owner, expectedVersion: 2, title: 'lost update' }));
    expect(stale.code).toBe('VERSION_CONFLICT');
    expect(stale.details.currentVersion).toBe(3);
    expect((await svc.getDocument({ documentId: doc.id, userId: owner }))?.title).toBe('Plan B');
  });

  it('updateDocument: a viewer gets FORBIDDEN, a stranger and a missing document NOT_FOUND; nothing changes', async () => {
    const { svc, doc, owner, viewer, stranger } = await sharedDoc();
    expect((await failure(svc.updateDocument({ documentId: doc.id, userId: viewer, expectedVersion: 1, title: 'x' }))).code).toBe('FORBIDDEN');
    expect((await failure(svc.updateDocument({ documentId: doc.id, userId: stranger, expectedVersion: 1, title: 'x' }))).code).toBe('NOT_FOUND');
    expect((await failure(svc.updateDocument({ documentId: newId(), userId: owner, expectedVersion: 1, title: 'x' }))).code).toBe('NOT_FOUND');
    expect(await svc.getDocument({ documentId: doc.id, userId: owner })).toEqual(doc);
  });

  it('addCollaborator: owner only; re-adding changes the role; the owner cannot be added', async () => {
    const { svc, doc, owner, editor, viewer, stranger } = await sharedDoc();
    expect((await failure(svc.addCollaborator({ documentId: doc.id, actorId: editor, userId: stranger }))).code).toBe('FORBIDDEN');
    expect((await failure(svc.addCollaborator({ documentId: doc.id, actorId: stranger, userId: stranger }))).code).toBe('NOT_FOUND');
    expect((await failure(svc.addCollaborator({ documentId: doc.id, actorId: owner, userId: owner }))).code).toBe('INVALID_INPUT');
    expect(await svc.getDocument({ documentId: doc.id, userId: stranger })).toBeNull();
    const promoted = await svc.addCollaborator({ documentId: doc.id, actorId: owner, userId: viewer, role: 'editor' });
    expect(promoted).toMatchObject({ userId: viewer, role: 'editor', version: 2, id: keyId('collaborator', doc.id, viewer) });
    const v2 = await svc.updateDocument({ documentId: doc.id, userId: viewer, expectedVersion: 1, content: 'now I can' });
    expect(v2.version).toBe(2);
  });

  it('removeCollaborator: by the owner or themself; others FORBIDDEN; access ends; re-adding continues the version', async () => {
    const { svc, doc, owner, editor, viewer } = await sharedDoc();
    expect((await failure(svc.removeCollaborator({ documentId: doc.id, actorId: editor, userId: viewer }))).code).toBe('FORBIDDEN');
    expect(await svc.removeCollaborator({ documentId: doc.id, actorId: owner, userId: viewer })).toBe(true);
    expect(await svc.removeCollaborator({ documentId: doc.id, actorId: owner, userId: viewer })).toBe(false);
    expect(await svc.getDocument({ documentId: doc.id, userId: viewer })).toBeNull();
    expect((await failure(svc.updateDocument({ documentId: doc.id, userId: viewer, expectedVersion: 1, title: 'x' }))).code).toBe('NOT_FOUND');
    expect(await svc.removeCollaborator({ documentId: doc.id, actorId: editor, userId: editor })).toBe(true);
    expect(await svc.listDocumentsForUser(editor)).toEqual([]);
    const back = await svc.addCollaborator({ documentId: doc.id, actorId: owner, userId: viewer });
    // Removed at version 1 → tombstone 2 → re-added at 3, so a late shadow of the old row cannot win.
    expect(back.version).toBe(3);
    expect((await svc.getDocument({ documentId: doc.id, userId: viewer }))?.id).toBe(doc.id);
  });

  it('listDocumentsForUser: only documents owned or shared, most recently updated first', async () => {
    const { svc, doc, owner, editor, viewer, stranger } = await sharedDoc();
    const own2 = await svc.createDocument({ ownerId: owner, title: 'Second' });
    const editorsOwn = await svc.createDocument({ ownerId: editor, title: 'Editor own' });
    await svc.createDocument({ ownerId: stranger, title: 'Not shared' });
    const ids = async (u: string) => (await svc.listDocumentsForUser(u)).map((d) => d.id).sort();
    expect(await ids(owner)).toEqual([doc.id, own2.id].sort());
    expect(await ids(editor)).toEqual([doc.id, editorsOwn.id].sort());
    expect(await ids(viewer)).toEqual([doc.id]);
    expect((await svc.listDocumentsForUser(stranger)).map((d) => d.title)).toEqual(['Not shared']);
    // Most recently updated first: touch the first document.
    await svc.updateDocument({ documentId: doc.id, userId: owner, expectedVersion: 1, title: 'touched' });
    const list = await svc.listDocumentsForUser(owner);
    expect(list.map((d) => d.updatedAt)).toEqual([...list.map((d) => d.updatedAt)].sort((a, b) => b - a));
    expect((await svc.listDocumentsForUser(owner, { limit: 1 })).length).toBe(1);
  });

  it('deleteDocument: owner only; removes the document and its collaborators, each with a tombstone', async () => {
    const { svc, doc, owner, editor, viewer, stranger } = await sharedDoc();
    expect((await failure(svc.deleteDocument({ documentId: doc.id, userId: editor }))).code).toBe('FORBIDDEN');
    expect((await failure(svc.deleteDocument({ documentId: doc.id, userId: stranger }))).code).toBe('NOT_FOUND');
    await svc.deleteDocument({ documentId: doc.id, userId: owner });
    expect(await svc.getDocument({ documentId: doc.id, userId: owner })).toBeNull();
    expect(await svc.listDocumentsForUser(viewer)).toEqual([]);
    const d = db();
    const primary = d.routing.primary === 'sqlite' ? d.backends.sqlite! : d.backends.postgres!;
    for (const u of [editor, viewer]) {
      const id = keyId('collaborator', doc.id, u);
      expect(await primary.get('document_collaborators', id)).toBeNull();
      expect(await primary.tombstoneVersion('document_collaborators', id)).toBe(2);
    }
    expect(await primary.tombstoneVersion('documents', doc.id)).toBe(2);
    expect((await failure(svc.deleteDocument({ documentId: doc.id, userId: owner }))).code).toBe('NOT_FOUND');
  });
});
