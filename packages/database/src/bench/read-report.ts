import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { SearchExplain } from './read-explain.js';
import type { ReadScope } from './read-scope.js';

/** Latency of one call on one backend, in ms. */
export interface CallLatency {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** Everything the read report shows. */
export interface ReadResult {
  readonly messages: number;
  readonly scope: ReadScope;
  readonly rows: readonly { call: string; libsql: CallLatency; postgres: CallLatency }[];
  readonly explains: readonly SearchExplain[];
  /** p95 bar in ms (issue 15 §2: 20). */
  readonly targetMs: number;
}

/** How the run went, for the report's head. */
export interface ReadRunInfo {
  readonly date: string;
  readonly command: string;
  readonly postgres: string;
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly copySeconds: number;
}

const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const cell = (l: CallLatency) => `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`;
const fence = (s: string) => ['```', s, '```'].join('\n');

/** The read bench's markdown: table of p50 / p95 / p99 per call and backend, targets, EXPLAIN of each search. */
export function readReport(r: ReadResult, info: ReadRunInfo): string {
  const misses = r.rows.flatMap((x) => [
    ...(x.libsql.p95 > r.targetMs ? [`LibSQL: ${x.call} (p95 ${ms(x.libsql.p95)} ms)`] : []),
    ...(x.postgres.p95 > r.targetMs ? [`PostgreSQL: ${x.call} (p95 ${ms(x.postgres.p95)} ms)`] : []),
  ]);
  const s = r.scope;
  return [
    `## Reads at ${r.messages.toLocaleString('en-US')} messages, LibSQL and PostgreSQL (issue 15 §2)`,
    '',
    `Run ${info.date}: \`${info.command}\` (PostgreSQL ${info.postgres}; load average ${info.loadBefore.toFixed(2)} before, ${info.loadAfter.toFixed(2)} after` +
      `${info.copySeconds ? `; copy + VACUUM ANALYZE ${info.copySeconds.toFixed(0)} s` : ''}).`,
    `LibSQL: the cached generated file as is; PostgreSQL: a fresh migrated database filled by \`copyDatabase\`, then \`VACUUM ANALYZE\`.`,
    `Calls through MessageService / UserProfileService over a store of each backend, ${r.rows[0]?.libsql.n ?? 0} calls each after a warm-up, interleaved; limit ${20}.`,
    `Scope: channel ${s.channelId} (${s.channelMessages.toLocaleString('en-US')} messages, the largest), user ${s.userId} (its top user), profile of ${s.profileUserId}.`,
    `Messages holding each term (FTS5 vocab): ${Object.entries(s.docs).map(([w, n]) => `${w} ${n}`).join(', ')}.`,
    '',
    '| call | LibSQL p50 / p95 / p99 ms | PostgreSQL p50 / p95 / p99 ms |',
    '|---|---:|---:|',
    ...r.rows.map((x) => `| ${x.call} | ${cell(x.libsql)} | ${cell(x.postgres)} |`),
    '',
    `Target: p95 ≤ ${r.targetMs} ms for every call on both backends. ${misses.length ? `Missed: ${misses.join('; ')}.` : 'Met by every call.'}`,
    '',
    `Each search's plan returned the single statement's rows in its order on this data: ${r.explains.every((e) => e.sameAsReference.libsql && e.sameAsReference.postgres) ? 'yes, every one' : `NO for ${r.explains.filter((e) => !(e.sameAsReference.libsql && e.sameAsReference.postgres)).map((e) => e.call).join('; ')}`}.`,
    '',
    '### Plans of each search',
    '',
    ...r.explains.flatMap((e) => [
      `#### ${e.call}`,
      '',
      'LibSQL (sqlite-search.ts):',
      fence(e.libsql),
      'LibSQL, the single reference statement as SQLite plans it (before issue 15):',
      fence(e.libsqlReference),
      'PostgreSQL (pg-search.ts), EXPLAIN (ANALYZE, BUFFERS):',
      fence(e.postgres),
      'PostgreSQL, the single statement as the planner runs it (before issue 15), EXPLAIN (ANALYZE, BUFFERS):',
      fence(e.postgresReference),
      `Same rows, same order as the single statement on this data: LibSQL ${e.sameAsReference.libsql ? 'yes' : 'NO'}, PostgreSQL ${e.sameAsReference.postgres ? 'yes' : 'NO'}.`,
      '',
    ]),
  ].join('\n');
}

const START = '<!-- read-bench:start -->';
const END = '<!-- read-bench:end -->';

/** Puts `section` into `path` (docs/benchmarks.md) between the read-bench markers, keeping every other section. */
export function updateReadSection(path: string, section: string): void {
  const block = `${START}\n${section.trim()}\n${END}`;
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  writeFileSync(path, a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END.length) : `${text.trimEnd()}\n\n${block}\n`);
}
