/**
 * docs/design.md invariant 3: a shadow write carries committed row states and delete tombstones, so
 * duplicated and reordered delivery converges on the primary's state. The committed states of
 * rows (several updates, deletes, a re-creation after delete) are taken from the primary, then
 * delivered to the other backend shuffled and duplicated, in random batches, with many seeded
 * permutations, in both directions; the result equals the primary's (`normalizeRow`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableName } from '../src/schema/tables.js';
import type { RowChange, Store } from '../src/stores/store.js';
import { normalizeRow } from '../src/transfer/convert/normalize-row.js';
import { openPostgresBackend, openSqliteBackend, type TestBackend } from './helpers/backends.js';
import { prng } from './helpers/prng.js';
import { collaboratorRow, documentRow, messageRow, profileRow } from './helpers/rows.js';

const PERMUTATIONS = 40;


function shuffled<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A scenario: writes on the primary that record the committed change of each step. */
type Scenario = (primary: Store, record: (c: RowChange) => void) => Promise<{ table: TableName; id: string }>;

const scenarios: Record<string, Scenario> = {
  'updates then delete': async (p, record) => {
    const row = messageRow({ metadata: { step: 0 } });
    const id = String(row.id);
    record({ table: 'messages', op: 'upsert', row: await p.insert('messages', row) });
    for (let step = 1; step <= 3; step++) {
      record({ table: 'messages', op: 'upsert', row: await p.update('messages', id, { message_content: `step ${step}`, metadata: { step } }, { now: 1_800_000_000 + step }) });
    }
    record((await p.delete('messages', id, 1_800_000_010))!);
    return { table: 'messages', id };
  },
  'updates only': async (p, record) => {
    const row = documentRow();
    const id = String(row.id);
    record({ table: 'documents', op: 'upsert', row: await p.insert('documents', row) });
    for (let step = 1; step <= 4; step++) {
      record({ table: 'documents', op: 'upsert', row: await p.update('documents', id, { title: `t${step}`, is_public: step % 2 === 0, metadata: { n: step, list: Array(step).fill(step) } }, { now: 1_800_000_000 + step }) });
    }
    return { table: 'documents', id };
  },
  'profile updates (counters, JSON, reals)': async (p, record) => {
    const row = profileRow();
    const id = String(row.id);
    record({ table: 'user_profiles', op: 'upsert', row: await p.insert('user_profiles', row) });
    for (let step = 1; step <= 4; step++) {
      const patch = { message_count: step, primary_interests: Array(step).fill('x'), archetype_confidence: step / 3, last_interaction_at: 1_800_000_000 + step };
      record({ table: 'user_profiles', op: 'upsert', row: await p.update('user_profiles', id, patch, { now: 1_800_000_000 + step }) });
    }
    return { table: 'user_profiles', id };
  },
  'delete then re-create after the tombstone': async (p, record) => {
    const doc = documentRow();
    await p.insert('documents', doc);
    const c = collaboratorRow(String(doc.id));
    const id = String(c.id);
    record({ table: 'documents', op: 'upsert', row: doc });
    record({ table: 'document_collaborators', op: 'upsert', row: await p.insert('document_collaborators', c) });
    const tomb = (await p.delete('document_collaborators', id, 1_800_000_001))!;
    record(tomb);
    // As DocumentService.addCollaborator does: continue after the tombstone's version.
    const back = { ...c, role: 'editor', version: tomb.op === 'delete' ? tomb.version + 1 : 0 };
    record({ table: 'document_collaborators', op: 'upsert', row: await p.insert('document_collaborators', back) });
    record({ table: 'document_collaborators', op: 'upsert', row: await p.update('document_collaborators', id, { role: 'viewer' }, { now: 1_800_000_002 }) });
    return { table: 'document_collaborators', id };
  },
};

describe('convergence of shuffled, duplicated shadow writes', () => {
  let lite: TestBackend;
  let pg: TestBackend;
  beforeAll(async () => {
    [lite, pg] = await Promise.all([openSqliteBackend(), openPostgresBackend()]);
  });
  afterAll(async () => {
    await Promise.all([lite?.cleanup(), pg?.cleanup()]);
  });

  const directions = [
    ['LibSQL → PostgreSQL', () => lite.store, () => pg.store],
    ['PostgreSQL → LibSQL', () => pg.store, () => lite.store],
  ] as const;

  for (const [direction, primaryOf, targetOf] of directions) {
    for (const [name, scenario] of Object.entries(scenarios)) {
      it(`${direction}: ${name}, ${PERMUTATIONS} permutations`, async () => {
        const primary = primaryOf();
        const target = targetOf();
        for (let seed = 1; seed <= PERMUTATIONS; seed++) {
          const rnd = prng(seed * 7919 + name.length);
          const changes: RowChange[] = [];
          const { table, id } = await scenario(primary, (c) => changes.push(c));
          // Duplicates: every change once, some up to three times.
          const deliveries = shuffled(changes.flatMap((c) => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => c)), rnd);
          // The collaborator's document must exist first (foreign key), as the shadow's per-document lane guarantees.
          const parents = deliveries.filter((c) => c.table === 'documents' && table !== 'documents');
          const rest = deliveries.filter((c) => !parents.includes(c));
          if (parents.length) await target.applyChanges(parents);
          for (let i = 0; i < rest.length; ) {
            const n = 1 + Math.floor(rnd() * 3);
            await target.applyChanges(rest.slice(i, i + n));
            i += n;
          }
          const want = await primary.get(table, id);
          const got = await target.get(table, id);
          const context = `seed ${seed}, order ${deliveries.map((c) => (c.op === 'upsert' ? `u${String(c.row.version)}` : `d${c.version}`)).join(' ')}`;
          expect(got && normalizeRow(table, got), context).toEqual(want && normalizeRow(table, want));
          expect(await target.tombstoneVersion(table, id), context).toBe(await primary.tombstoneVersion(table, id));
        }
      });
    }
  }
});
