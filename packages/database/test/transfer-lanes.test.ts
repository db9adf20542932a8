// Tables loading side by side (table-lanes.ts) and the connection slots they share (in-flight.ts).
import { describe, expect, it } from 'vitest';
import { tableNames, type TableName } from '../src/schema/tables.js';
import { InFlight, Slots } from '../src/transfer/load/in-flight.js';
import { runInLanes, tableLanes } from '../src/transfer/load/table-lanes.js';

const rows = (m: Partial<Record<TableName, number>>) => new Map(Object.entries(m) as [TableName, number][]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tableLanes', () => {
  it('gives the biggest table without foreign-key ties a lane of its own; the rest keep their order', () => {
    expect(tableLanes(tableNames, rows({ messages: 1_000_000, queries: 200_000, documents: 5_000, document_collaborators: 10_000 }))).toEqual([
      ['messages'],
      ['queries', 'documents', 'document_collaborators', 'user_profiles', 'user_analysis_history'],
    ]);
  });

  it('never separates a parent from its child table, even when they are the biggest', () => {
    const lanes = tableLanes(['documents', 'document_collaborators', 'queries'], rows({ documents: 9e6, document_collaborators: 9e6, queries: 10 }));
    expect(lanes).toEqual([['queries'], ['documents', 'document_collaborators']]);
    expect(tableLanes(['documents', 'document_collaborators'], rows({ documents: 9e6 }))).toEqual([['documents', 'document_collaborators']]);
    expect(tableLanes(['messages'], rows({ messages: 1 }))).toEqual([['messages']]);
  });
});

describe('runInLanes', () => {
  it('runs the lanes at the same time and returns results in table order', async () => {
    const log: string[] = [];
    const out = await runInLanes(['messages', 'queries', 'documents'], rows({ messages: 100 }), async (t) => {
      log.push(`start ${t}`);
      await sleep(t === 'messages' ? 60 : 10);
      log.push(`end ${t}`);
      return t.toUpperCase();
    });
    expect(out).toEqual(['MESSAGES', 'QUERIES', 'DOCUMENTS']);
    expect(log.indexOf('start queries')).toBeLessThan(log.indexOf('end messages'));
    expect(log.indexOf('end queries')).toBeLessThan(log.indexOf('start documents'));
  });

  it('on a failure, stops the other lane, waits for it, and rejects with the first error', async () => {
    let otherSettled = false;
    const run = runInLanes(['messages', 'queries'], rows({ messages: 100 }), async (t, signal) => {
      if (t === 'queries') throw new Error('queries broke');
      for (let i = 0; i < 100; i++) {
        await sleep(5);
        if (signal.aborted) {
          otherSettled = true;
          throw new Error('stopped');
        }
      }
      return t;
    });
    await expect(run).rejects.toThrow('queries broke');
    expect(otherSettled).toBe(true);
  });

  it('one lane when parallel is false; an outer abort reaches every lane', async () => {
    const seen: string[] = [];
    await runInLanes(['messages', 'queries'], rows({ messages: 100 }), async (t) => void seen.push(t), undefined, false);
    expect(seen).toEqual(['messages', 'queries']);
    const ac = new AbortController();
    ac.abort(new Error('interrupted'));
    await expect(runInLanes(['messages', 'queries'], rows({}), async () => 1, ac.signal)).rejects.toThrow('interrupted');
  });
});

describe('InFlight with shared Slots', () => {
  it('never runs more tasks than the shared slots, across all holders', async () => {
    const slots = new Slots(3);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5);
      running--;
    };
    const a = new InFlight(3, slots);
    const b = new InFlight(3, slots);
    const feed = async (f: InFlight) => {
      for (let i = 0; i < 10; i++) await f.add(task);
      await f.drain();
    };
    await Promise.all([feed(a), feed(b)]);
    expect(peak).toBe(3);
  });
});
