// Converter.finish: what the converter holds for orphan and unique-key checks is dropped once the
// tables that need it are done, never before (a child still loading keeps its parents' keys).
import { describe, expect, it } from 'vitest';
import { Converter } from '../src/transfer/convert/convert.js';

const collab = (id: string, doc: string, user = 'u') => ({ id, document_id: doc, user_id: user, username: 'ada', role: 'editor', joined_at: 1n, updated_at: null, version: 1n });
const history = (id: string, userId: string) => ({ id, user_id: userId, analysis_timestamp: 1n, feelings_snapshot: '{}', version: 1n });
const profile = (id: string, userId: string) => ({ id, user_id: userId, username: 'ada', first_seen_at: 1n, last_interaction_at: 1n, version: 1n });

describe('Converter.finish', () => {
  it('keeps a finished parent\'s rejected keys while a child table is still loading', () => {
    const conv = new Converter('sqlite', 'copy');
    conv.markRejected('documents', 'd1');
    conv.finish('documents');
    expect(conv.convert('document_collaborators', collab('c1', 'd1'), { parentExists: { document_id: true } })).toMatchObject({ ok: false, reject: { reason: 'orphan: document d1 was rejected' } });
    conv.markRejected('user_profiles', 'p1', { id: 'p1', user_id: 'u1' });
    conv.finish('user_profiles');
    // Other tables finishing does not release what an unfinished child needs.
    conv.finish('messages');
    conv.finish('queries');
    expect(conv.convert('user_analysis_history', history('h1', 'u1'), { parentExists: { user_id: true } })).toMatchObject({ ok: false, reject: { reason: 'orphan: user_profile with user_id u1 was rejected' } });
  });

  it('keeps, after the parent is finished, only the held keys that are also rejected, and still answers right', () => {
    const conv = new Converter('sqlite', 'copy');
    expect(conv.convert('user_profiles', profile('p1', 'u1')).ok).toBe(true);
    conv.markRejectedKey('user_profiles', 'user_id', 'u1'); // another source row with u1 was rejected: p1 still holds it
    expect(conv.convert('user_profiles', profile('p3', 'u3')).ok).toBe(true);
    conv.markRejected('user_profiles', 'p3', { id: 'p3', user_id: 'u3' }); // PostgreSQL refused p3
    expect(conv.convert('user_profiles', profile('p4', 'u4')).ok).toBe(true);
    conv.finish('user_profiles');
    const child = (id: string, userId: string) => conv.convert('user_analysis_history', history(id, userId), { parentExists: { user_id: true } });
    expect(child('h1', 'u1').ok).toBe(true);
    expect(child('h3', 'u3')).toMatchObject({ ok: false, reject: { reason: 'orphan: user_profile with user_id u3 was rejected' } });
    expect(child('h4', 'u4').ok).toBe(true);
  });

  it('keeps unique keys until the table itself is finished', () => {
    const conv = new Converter('sqlite', 'copy');
    expect(conv.convert('user_profiles', profile('p1', 'u1')).ok).toBe(true);
    conv.finish('messages');
    conv.finish('documents');
    expect(conv.convert('user_profiles', profile('p2', 'u1'))).toMatchObject({ ok: false, reject: { reason: expect.stringMatching(/^duplicate key: user_id/) } });
    expect(conv.convert('document_collaborators', collab('c1', 'd9', 'u5')).ok).toBe(true);
    expect(conv.convert('document_collaborators', collab('c2', 'd9', 'u5'))).toMatchObject({ ok: false, reject: { reason: expect.stringMatching(/^duplicate key/) } });
  });

  it('drops the keys once the parent and every child are finished (bounded by the tables in progress)', () => {
    const conv = new Converter('sqlite', 'copy');
    conv.markRejected('documents', 'd1');
    expect(conv.convert('document_collaborators', collab('c1', 'd2', 'u5')).ok).toBe(true);
    conv.finish('documents');
    conv.finish('document_collaborators');
    // Nothing of these tables is converted after finish in a run; a row that still came would no
    // longer be checked against them: the state is gone, which is the point.
    expect(conv.convert('document_collaborators', collab('c2', 'd1'), { parentExists: { document_id: true } }).ok).toBe(true);
    expect(conv.convert('document_collaborators', collab('c3', 'd2', 'u5')).ok).toBe(true);
  });
});
