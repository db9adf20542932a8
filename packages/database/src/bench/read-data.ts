import postgres from 'postgres';
import { generateLibsqlFile } from './generate-libsql.js';
import { freshTarget } from './transfer-measure.js';
import { copyDatabase } from '../transfer/copy.js';
import { testServerUrl } from '../testing/postgres.js';

/** The two backends of the read bench, holding the same rows. */
export interface ReadData {
  /** `file:` URL of the cached LibSQL file (read only: the bench never writes to it). */
  readonly libsqlUrl: string;
  readonly pgUrl: string;
  readonly messages: number;
  /** Seconds spent copying into PostgreSQL and running VACUUM ANALYZE (0 when an existing database was reused). */
  readonly copySeconds: number;
  /** Drops the PostgreSQL database (not when it came from `BENCH_READ_KEEP_DB`). */
  drop(): Promise<void>;
}

/**
 * The LibSQL file of `messages` messages (generated and cached in `dir` by generate-libsql.ts) and
 * a fresh migrated PostgreSQL database filled from it by `copyDatabase`, then `VACUUM ANALYZE`d
 * (planner statistics and visibility map, as after the runbook's copy). With `keepDb` (env
 * `BENCH_READ_KEEP_DB=<database name>` on the test server), that database is used as is when it
 * holds messages, else filled, and never dropped, so a second run skips the copy.
 */
export async function openReadData(opts: { messages: number; dir: string; keepDb?: string | undefined; log: (line: string) => void }): Promise<ReadData> {
  const file = await generateLibsqlFile({ messages: opts.messages, dir: opts.dir, log: opts.log });
  let pgUrl: string;
  let drop = async () => {};
  if (opts.keepDb) {
    const server = new URL(await testServerUrl());
    server.pathname = `/${encodeURIComponent(opts.keepDb)}`;
    pgUrl = server.toString();
    const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
    try {
      const n = await sql`SELECT count(*)::int AS n FROM messages`.catch(() => [{ n: -1 }]);
      if (Number(n[0]!.n) === opts.messages) return { libsqlUrl: file.url, pgUrl, messages: opts.messages, copySeconds: 0, drop };
    } finally {
      await sql.end({ timeout: 5 });
    }
    throw new Error(`BENCH_READ_KEEP_DB=${opts.keepDb}: that database does not hold ${opts.messages} messages (unset it to copy into a fresh one)`);
  }
  const target = await freshTarget('bench_reads');
  pgUrl = target.url;
  drop = target.drop;
  const t0 = performance.now();
  try {
    opts.log(`copying ${opts.messages} messages into PostgreSQL (${target.url.replace(/\/\/[^@]*@/, '//***@')})`);
    await copyDatabase({ libsqlUrl: file.url, databaseUrl: pgUrl, rejectsDir: `${opts.dir}/reads-rejects` });
    const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
    try {
      await sql`VACUUM ANALYZE`;
    } finally {
      await sql.end({ timeout: 5 });
    }
  } catch (e) {
    await drop().catch(() => {});
    throw e;
  }
  return { libsqlUrl: file.url, pgUrl, messages: opts.messages, copySeconds: (performance.now() - t0) / 1000, drop };
}
