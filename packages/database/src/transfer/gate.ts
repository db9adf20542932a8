import { describeError } from '../errors.js';
import { redact } from '../logger.js';
import { tableNames, TOMBSTONES_TABLE } from '../schema/tables.js';
import { existingTables, openBackendPair } from './source/backend-pair.js';
import { checkSearch, measureReadLatency, orphanRows, pendingIndexes, readBotComparedReads, readBotShadow } from './gate-checks.js';
import { summarize, type VerifySummary } from './verify-report.js';
import { verifyTables, type VerifyOptions } from './verify.js';

/** The success criteria of the migration guide, one per line of `db gate`. */
export type GateKey = 'tables' | 'verify' | 'shadow' | 'compared_reads' | 'latency' | 'search' | 'foreign_keys' | 'indexes';

/** One criterion: what was measured, against what, and whether it passed. */
export interface GateCriterion {
  readonly key: GateKey;
  /** What it checks, in words. */
  readonly name: string;
  readonly pass: boolean;
  /** The measured value, in words with units ("0 drifted rows", "p95 12.3 ms"). */
  readonly value: string;
  /** The bar it was held to ("0", "< 1%", "< 100 ms"). */
  readonly threshold: string;
  /** Structured measurement for `--json` (shape depends on the criterion). */
  readonly detail?: unknown;
}

/** Result of {@link runGate}. */
export interface GateResult {
  /** True only when every criterion passed. */
  readonly ok: boolean;
  readonly criteria: readonly GateCriterion[];
  /** The names of the failed criteria. */
  readonly failed: readonly GateKey[];
  /** The verify run (null when tables were missing). */
  readonly verify: VerifySummary | null;
  readonly durationMs: number;
}

/** Options of {@link runGate}: verify's options plus the thresholds. */
export interface GateOptions extends VerifyOptions {
  /** The bot's base URL (or its `/status` URL), to read the shadow-write counters. */
  readonly botUrl?: string | undefined;
  /**
   * The phase of the environment running the gate (the CLI's USE_POSTGRES_*). When the bot reports
   * another phase, the shadow criterion fails: verify's and reconcile's direction come from this
   * environment, so it must be the bot's. Unset: not compared.
   */
  readonly shellPhase?: string | undefined;
  /** Pass the criteria read from the bot (shadow, compared reads) without measuring (no bot to ask). Default false: not measured = fail. */
  readonly skipShadow?: boolean;
  /** Lowest acceptable consistency of compared reads (matched / compared), overall and per call, 0..1. Default 0.999. */
  readonly minConsistency?: number;
  /** Fewest compared reads (since the bot started, all calls) for the consistency to count. Default 500. */
  readonly minComparedReads?: number;
  /** Highest acceptable shadow failure rate, 0..1. Default 0.01. */
  readonly maxShadowFailureRate?: number;
  /** Highest acceptable p95 read latency on PostgreSQL, in ms. Default 100. */
  readonly maxP95Ms?: number;
  /** Read calls to time. Default 200. */
  readonly latencySamples?: number;
  /** `fetch` for the bot (tests). */
  readonly fetch?: typeof fetch;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const fail = (key: GateKey, name: string, threshold: string, e: unknown): GateCriterion => ({
  key,
  name,
  pass: false,
  threshold,
  value: `error: ${redact(describeError(e).message)}`,
});

/**
 * The migration guide's success criteria as one check, each measured:
 * 1. `tables`: every table (and `row_tombstones`) exists on PostgreSQL;
 * 2. `verify`: row counts and per-row checksums match ({@link verifyTables}: zero drift);
 * 3. `shadow`: shadow-write failure rate (failed + dropped over all finished) below
 *    `maxShadowFailureRate`, read from the bot's `GET /status` (`stats.shadow`); without `botUrl`
 *    it is "not measured" and fails unless `skipShadow`;
 * 3b. `compared_reads`: consistency of the bot's compared reads (matched / compared since it
 *    started, `stats.comparedReads` of `GET /status`) at least `minConsistency` overall and for
 *    every call, over at least `minComparedReads` compared reads; without `botUrl` as `shadow`;
 * 4. `latency`: p95 of `latencySamples` real reads on PostgreSQL below `maxP95Ms`;
 * 5. `search`: full-text search on PostgreSQL finds stored messages by their words;
 * 6. `foreign_keys`: no collaborator without its document on PostgreSQL.
 * Never throws for a failing check (it becomes a failed criterion with the error).
 * @throws DatabaseError `DATABASE_URL_MISSING`, `DATABASE_UNREACHABLE` when a backend cannot be opened.
 */
export async function runGate(opts: GateOptions): Promise<GateResult> {
  const t0 = performance.now();
  const pair = opts.pair ?? (await openBackendPair({ libsqlUrl: opts.libsqlUrl ?? '', libsqlAuthToken: opts.libsqlAuthToken, databaseUrl: opts.databaseUrl }));
  const maxRate = opts.maxShadowFailureRate ?? 0.01;
  const maxP95 = opts.maxP95Ms ?? 100;
  const criteria: GateCriterion[] = [];
  let verify: VerifySummary | null = null;
  try {
    const pg = pair.postgres;
    const have = await existingTables(pg);
    const missing = [...tableNames, TOMBSTONES_TABLE].filter((t) => !have.has(t));
    criteria.push({
      key: 'tables',
      name: 'every table exists on PostgreSQL',
      pass: missing.length === 0,
      value: missing.length === 0 ? `${tableNames.length + 1} of ${tableNames.length + 1}` : `missing: ${missing.join(', ')}`,
      threshold: 'all',
    });
    const tablesOk = missing.length === 0;

    const vName = 'row counts and checksums match (verify)';
    if (!tablesOk) criteria.push({ key: 'verify', name: vName, pass: false, value: 'not run: tables missing', threshold: '0 drifted rows' });
    else {
      try {
        const v = await verifyTables({ ...opts, pair });
        verify = summarize(v);
        const counts = v.tables.filter((t) => t.sqliteRows !== t.postgresRows).map((t) => `${t.table} ${t.sqliteRows}≠${t.postgresRows}`);
        criteria.push({
          key: 'verify',
          name: vName,
          pass: v.ok,
          value:
            `${v.drift} drifted rows of ${v.rows}${counts.length ? ` (counts differ: ${counts.join(', ')})` : ''}` +
            (v.rejected > 0 ? `; ${v.rejected} LibSQL rows rejected by import (not in PostgreSQL; listed by verify)` : ''),
          threshold: '0 drifted rows',
          detail: { drift: v.drift, rows: v.rows, reportFile: v.reportFile, tables: verify.tables },
        });
      } catch (e) {
        criteria.push(fail('verify', vName, '0 drifted rows', e));
      }
    }

    const sName = 'shadow-write failure rate';
    const sThreshold = `< ${pct(maxRate)}`;
    if (!opts.botUrl) {
      criteria.push({ key: 'shadow', name: sName, pass: Boolean(opts.skipShadow), value: opts.skipShadow ? 'not measured (--skip-shadow)' : 'not measured: pass --bot-url (or --skip-shadow)', threshold: sThreshold });
    } else {
      try {
        const s = await readBotShadow(opts.botUrl, opts.fetch);
        if (!s) criteria.push({ key: 'shadow', name: sName, pass: false, value: 'the bot runs without shadow writes (phase 1 or 6)', threshold: sThreshold });
        else if (opts.shellPhase && s.phase && s.phase !== opts.shellPhase) {
          criteria.push({
            key: 'shadow',
            name: sName,
            pass: false,
            value: `the bot runs phase ${s.phase}, but this shell's USE_POSTGRES_* say phase ${opts.shellPhase}: set the bot's variables here too`,
            threshold: sThreshold,
            detail: s,
          });
        } else if (s.failureRate === null) criteria.push({ key: 'shadow', name: sName, pass: false, value: 'no shadow write finished yet', threshold: sThreshold, detail: s });
        else {
          criteria.push({
            key: 'shadow',
            name: sName,
            pass: s.failureRate < maxRate,
            value: `${pct(s.failureRate)} (${s.failed} failed + ${s.dropped} dropped of ${s.succeeded + s.failed + s.dropped}, phase ${s.phase ?? '?'})`,
            threshold: sThreshold,
            detail: s,
          });
        }
      } catch (e) {
        criteria.push(fail('shadow', sName, sThreshold, e));
      }
    }

    const cName = 'compared reads agree (consistency)';
    const minC = opts.minConsistency ?? 0.999;
    const minN = opts.minComparedReads ?? 500;
    const cThreshold = `≥ ${pct(minC)} overall and per call, ≥ ${minN} compared`;
    if (!opts.botUrl) {
      criteria.push({ key: 'compared_reads', name: cName, pass: Boolean(opts.skipShadow), value: opts.skipShadow ? 'not measured (--skip-shadow)' : 'not measured: pass --bot-url (or --skip-shadow)', threshold: cThreshold });
    } else {
      try {
        const c = await readBotComparedReads(opts.botUrl, opts.fetch);
        if (!c) criteria.push({ key: 'compared_reads', name: cName, pass: false, value: 'the bot does not compare reads (phase 1 or 6, or COMPARE_READS_RATE=0)', threshold: cThreshold });
        else {
          const rate = (x: { compared: number; matched: number }) => (x.compared === 0 ? 1 : x.matched / x.compared);
          const worst = Object.entries(c.byCall)
            .filter(([, x]) => x.compared > 0 && rate(x) < minC)
            .sort(([, a], [, b]) => rate(a) - rate(b));
          const enough = c.compared >= minN;
          const overall = c.compared === 0 ? null : c.matched / c.compared;
          const value =
            `${overall === null ? 'nothing compared yet' : `${pct(overall)} (${c.matched} of ${c.compared} matched, ${c.mismatched} mismatched, ${c.dropped} dropped)`}` +
            (worst.length ? `; below the bar: ${worst.map(([call, x]) => `${call} ${pct(rate(x))} (${x.mismatched} of ${x.compared} mismatched)`).join(', ')}` : '') +
            (enough ? '' : `; fewer than ${minN} compared reads: let traffic run or raise COMPARE_READS_RATE (now ${c.rate})`);
          criteria.push({ key: 'compared_reads', name: cName, pass: enough && overall !== null && overall >= minC && worst.length === 0, value, threshold: cThreshold, detail: c });
        }
      } catch (e) {
        criteria.push(fail('compared_reads', cName, cThreshold, e));
      }
    }

    const lName = 'p95 read latency on PostgreSQL';
    if (!tablesOk) criteria.push({ key: 'latency', name: lName, pass: false, value: 'not run: tables missing', threshold: `< ${maxP95} ms` });
    else {
      try {
        const l = await measureReadLatency(pg, opts.latencySamples ?? 200);
        criteria.push({
          key: 'latency',
          name: lName,
          pass: l.p95Ms < maxP95,
          value: l.calls === 0 ? 'no rows to read (nothing measured)' : `p95 ${l.p95Ms} ms (p50 ${l.p50Ms}, max ${l.maxMs}, ${l.calls} reads)`,
          threshold: `< ${maxP95} ms`,
          detail: l,
        });
      } catch (e) {
        criteria.push(fail('latency', lName, `< ${maxP95} ms`, e));
      }
    }

    const fName = 'full-text search works on PostgreSQL';
    if (!tablesOk) criteria.push({ key: 'search', name: fName, pass: false, value: 'not run: tables missing', threshold: 'every sampled message found' });
    else {
      try {
        const s = await checkSearch(pg);
        criteria.push({
          key: 'search',
          name: fName,
          pass: s.found === s.tried,
          value: s.tried === 0 ? 'no message with words stored (nothing to search)' : `${s.found} of ${s.tried} sampled messages found${s.miss ? ` (missed ${s.miss.id} searching ${s.miss.terms.join(' ')})` : ''}`,
          threshold: 'every sampled message found',
          detail: s,
        });
      } catch (e) {
        criteria.push(fail('search', fName, 'every sampled message found', e));
      }
    }

    const kName = 'no foreign-key violations on PostgreSQL';
    if (!tablesOk) criteria.push({ key: 'foreign_keys', name: kName, pass: false, value: 'not run: tables missing', threshold: '0' });
    else {
      try {
        const counts = await orphanRows(pg);
        const n = counts.reduce((sum, c) => sum + c.orphans, 0);
        const value = `${n} rows without their parent (${counts.map((c) => `${c.foreignKey}: ${c.orphans}`).join(', ')})`;
        criteria.push({ key: 'foreign_keys', name: kName, pass: n === 0, value, threshold: '0', detail: counts });
      } catch (e) {
        criteria.push(fail('foreign_keys', kName, '0', e));
      }
    }

    const iName = 'no index left deferred by a bulk load';
    try {
      const p = await pendingIndexes(pg);
      const value = p.length === 0 ? '0' : `${p.length} deferred (${p.map((i) => `${i.table}.${i.index}`).join(', ')}): run \`pnpm db migrate --target postgres\` to build them`;
      criteria.push({ key: 'indexes', name: iName, pass: p.length === 0, value, threshold: '0', detail: p });
    } catch (e) {
      criteria.push(fail('indexes', iName, '0', e));
    }
  } finally {
    if (!opts.pair) await pair.close();
  }
  const failed = criteria.filter((c) => !c.pass).map((c) => c.key);
  return { ok: failed.length === 0, criteria, failed, verify, durationMs: Math.round(performance.now() - t0) };
}
