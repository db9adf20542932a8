// documentService on a phase-1 (LibSQL) and a phase-6 (PostgreSQL) database.
import { expect, it } from 'vitest';
import { isDatabaseError } from '../src/errors.js';
import { newId } from '../src/ids.js';
import { columnNames } from '../src/schema/tables.js';
import { describePhases } from './helpers/service-phases.js';

const uniq = (p: string) => `${p}-${newId()}`;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isDatabaseError(e) ? e.code : `not a DatabaseError: ${String(e)}`;
  }
}

describePhases('documentService', ['1', '6'], ({ db }) => {
  const primary = () => {
    const d = db();
    return d.routing.primary === 'sqlite' ? d.backends.sqlite! : d.backends.postgres!;
  };

  it('createDocument: the record (every column, is_public 0/1, metadata as text) and the creator as owner collaborator', async () => {
    const svc = db().documentService;
    const owner = uniq('owner');
    const before = Math.floor(Date.now() / 1000);
    const doc = await svc.createDocument({ title: 'Plan', content: 'v1', createdBy: owner, createdByUsername: 'ada', metadata: { tags: ['a'], n: 1 } });
    expect(Object.keys(doc).sort()).toEqual(columnNames('documents').sort());
    expect(doc).toMatchObject({ title: 'Plan', content: 'v1', created_by: owner, created_by_username: 'ada', is_public: 1, metadata: '{"n":1,"tags":["a"]}', version: 1 });
    expect(doc.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(doc.created_at).toBeGreaterThanOrEqual(before);
    expect(doc.updated_at).toBe(doc.created_at);
    expect(await svc.getDocument(doc.id)).toEqual(doc);
    const [c, ...rest] = await svc.getDocumentCollaborators(doc.id);
    expect(rest).toEqual([]);
    expect(Object.keys(c!).sort()).toEqual(columnNames('document_collaborators').sort());
    expect(c).toMatchObject({ document_id: doc.id, user_id: owner, username: 'ada', role: 'owner', joined_at: doc.created_at, version: 1 });

    const priv = await svc.createDocument({ title: 'Private', createdBy: owner, isPublic: false });
    expect(priv).toMatchObject({ content: '', is_public: 0, metadata: null, created_by_username: null });
    expect(await svc.getDocument(newId())).toBeNull();
  });

  it('rejects bad input with INVALID_INPUT and writes nothing', async () => {
    const svc = db().documentService;
    const owner = uniq('bad');
    for (const bad of [{ title: '' }, { title: 'x'.repeat(501) }, { createdBy: '' }, { isPublic: 'yes' }, { metadata: [1] }, { content: 5 }]) {
      expect(await codeOf(svc.createDocument({ title: 'T', createdBy: owner, ...bad } as never)), JSON.stringify(bad)).toBe('INVALID_INPUT');
    }
    expect(await svc.getDocumentCount({ createdBy: owner })).toBe(0);
    const doc = await svc.createDocument({ title: 'T', createdBy: owner });
    expect(await codeOf(svc.updateDocumentTitle(doc.id, ''))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.updateDocumentContent(doc.id, 5 as never))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.updateDocumentContent('', 'x'))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.addCollaborator({ documentId: doc.id, userId: '' }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.listDocuments({ limit: 0 }))).toBe('INVALID_INPUT');
    expect(await codeOf(svc.hasDocumentAccess(doc.id, ''))).toBe('INVALID_INPUT');
    expect(await svc.getDocument(doc.id)).toEqual(doc);
  });

  it('updateDocumentContent / updateDocumentTitle: version + 1 and updated_at now; a missing document is a no-op', async () => {
    const svc = db().documentService;
    const doc = await svc.createDocument({ title: 'T', content: 'v1', createdBy: uniq('o') });
    await svc.updateDocumentContent(doc.id, 'v2');
    expect(await svc.getDocument(doc.id)).toMatchObject({ title: 'T', content: 'v2', version: 2 });
    await svc.updateDocumentTitle(doc.id, 'T2');
    const after = (await svc.getDocument(doc.id))!;
    expect(after).toMatchObject({ title: 'T2', content: 'v2', version: 3, created_at: doc.created_at });
    expect(after.updated_at).toBeGreaterThanOrEqual(doc.updated_at!);
    await svc.updateDocumentContent(newId(), 'nobody');
    await svc.updateDocumentTitle(newId(), 'nobody');
  });

  it('addCollaborator: role editor by default; re-adding upserts the username and role; an unknown document is NOT_FOUND', async () => {
    const svc = db().documentService;
    const [owner, friend] = [uniq('owner'), uniq('friend')];
    const doc = await svc.createDocument({ title: 'Shared', createdBy: owner });
    await svc.addCollaborator({ documentId: doc.id, userId: friend, username: 'bo' });
    const [, c1] = await svc.getDocumentCollaborators(doc.id);
    expect(c1).toMatchObject({ user_id: friend, username: 'bo', role: 'editor', version: 1 });
    await svc.addCollaborator({ documentId: doc.id, userId: friend, username: 'bob', role: 'viewer' });
    const list = await svc.getDocumentCollaborators(doc.id);
    expect(list.map((c) => [c.user_id, c.username, c.role])).toEqual([
      [owner, null, 'owner'],
      [friend, 'bob', 'viewer'],
    ]);
    expect(list[1]).toMatchObject({ id: c1!.id, version: 2 });
    expect(await codeOf(svc.addCollaborator({ documentId: newId(), userId: friend }))).toBe('NOT_FOUND');
    // Concurrent adds of one user give one row.
    const racer = uniq('racer');
    await Promise.all(Array.from({ length: 8 }, (_, i) => svc.addCollaborator({ documentId: doc.id, userId: racer, role: `r${i}` })));
    expect((await svc.getDocumentCollaborators(doc.id)).filter((c) => c.user_id === racer)).toHaveLength(1);
  });

  it('removeCollaborator: the row goes, with a tombstone; removing a non-collaborator is a no-op', async () => {
    const svc = db().documentService;
    const [owner, friend] = [uniq('owner'), uniq('friend')];
    const doc = await svc.createDocument({ title: 'Shared', createdBy: owner, isPublic: false });
    await svc.addCollaborator({ documentId: doc.id, userId: friend });
    const row = (await svc.getDocumentCollaborators(doc.id)).find((c) => c.user_id === friend)!;
    expect(await svc.hasDocumentAccess(doc.id, friend)).toBe(true);
    await svc.removeCollaborator(doc.id, friend);
    await svc.removeCollaborator(doc.id, friend);
    expect((await svc.getDocumentCollaborators(doc.id)).map((c) => c.user_id)).toEqual([owner]);
    expect(await svc.hasDocumentAccess(doc.id, friend)).toBe(false);
    expect(await primary().tombstoneVersion('document_collaborators', row.id)).toBe(2);
  });

  it('hasDocumentAccess: public, creator, collaborator; false for others and for a missing document', async () => {
    const svc = db().documentService;
    const [owner, friend, stranger] = [uniq('owner'), uniq('friend'), uniq('stranger')];
    const pub = await svc.createDocument({ title: 'Public', createdBy: owner });
    const priv = await svc.createDocument({ title: 'Private', createdBy: owner, isPublic: false });
    await svc.addCollaborator({ documentId: priv.id, userId: friend });
    expect(await svc.hasDocumentAccess(pub.id, stranger)).toBe(true);
    expect(await svc.hasDocumentAccess(priv.id, owner)).toBe(true);
    expect(await svc.hasDocumentAccess(priv.id, friend)).toBe(true);
    expect(await svc.hasDocumentAccess(priv.id, stranger)).toBe(false);
    expect(await svc.hasDocumentAccess(newId(), owner)).toBe(false);
  });

  it('listDocuments / getDocumentCount: by creator or all, most recently updated first, limit and offset', async () => {
    const svc = db().documentService;
    const [owner, other] = [uniq('owner'), uniq('other')];
    const d1 = await svc.createDocument({ title: 'one', createdBy: owner });
    const d2 = await svc.createDocument({ title: 'two', createdBy: owner });
    const d3 = await svc.createDocument({ title: 'three', createdBy: owner });
    await svc.createDocument({ title: 'theirs', createdBy: other });
    // Same second: ties by id DESC (UUIDv7, so the newest first).
    expect((await svc.listDocuments({ createdBy: owner })).map((d) => d.id)).toEqual([d3.id, d2.id, d1.id]);
    expect((await svc.listDocuments({ createdBy: owner, limit: 1, offset: 1 })).map((d) => d.id)).toEqual([d2.id]);
    // An update moves a document first once a second has passed.
    const primaryStore = primary();
    await primaryStore.update('documents', d1.id, { title: 'touched' }, { now: Math.floor(Date.now() / 1000) + 5 });
    expect((await svc.listDocuments({ createdBy: owner })).map((d) => d.id)).toEqual([d1.id, d3.id, d2.id]);
    expect(await svc.getDocumentCount({ createdBy: owner })).toBe(3);
    expect(await svc.getDocumentCount({ createdBy: other })).toBe(1);
    expect(await svc.getDocumentCount()).toBeGreaterThanOrEqual(4);
    expect((await svc.listDocuments()).length).toBeGreaterThanOrEqual(4);
  });

  it('deleteDocument: removes the document and its collaborators in one transaction, each with a tombstone', async () => {
    const svc = db().documentService;
    const [owner, editor, viewer] = [uniq('owner'), uniq('editor'), uniq('viewer')];
    const doc = await svc.createDocument({ title: 'Doomed', createdBy: owner, isPublic: false });
    await svc.addCollaborator({ documentId: doc.id, userId: editor });
    await svc.addCollaborator({ documentId: doc.id, userId: viewer, role: 'viewer' });
    const collaborators = await svc.getDocumentCollaborators(doc.id);
    expect(collaborators).toHaveLength(3);
    await svc.deleteDocument(doc.id);
    expect(await svc.getDocument(doc.id)).toBeNull();
    expect(await svc.getDocumentCollaborators(doc.id)).toEqual([]);
    expect(await svc.hasDocumentAccess(doc.id, owner)).toBe(false);
    for (const c of collaborators) {
      expect(await primary().get('document_collaborators', c.id)).toBeNull();
      expect(await primary().tombstoneVersion('document_collaborators', c.id)).toBe(2);
    }
    expect(await primary().tombstoneVersion('documents', doc.id)).toBe(2);
    await svc.deleteDocument(doc.id); // already gone: a no-op
  });
});
