import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../logger.js';
import { openStore } from '../stores/open-store.js';
import { openSqlite } from '../stores/sqlite/sqlite-connection.js';
import { MessageService } from '../services/message-service.js';
import { UserProfileService } from '../services/user-profile-service.js';
import { percentile } from './stats.js';
import { serverVersion } from './transfer-measure.js';
import { openReadData } from './read-data.js';
import { chooseReadScope } from './read-scope.js';
import { readCalls } from './read-calls.js';
import { explainSearches } from './read-explain.js';
import { readReport, updateReadSection, type CallLatency } from './read-report.js';

/** The repository root (this file is `packages/database/dist/bench/read-run.js`). */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const latency = (samples: number[]): CallLatency => {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p95: percentile(s, 0.95), p99: percentile(s, 0.99) };
};

/**
 * `BENCH_ONLY=reads pnpm bench` (issue 15 §2): the bot's reads on `BENCH_READ_MESSAGES` messages
 * (default 1,000,000) on LibSQL and on PostgreSQL in the same run, `BENCH_READ_CALLS` calls each
 * (default 60) after `BENCH_READ_WARMUP` (default 5), interleaved (call by call, backend by backend)
 * so the machine's drift hits both alike. Prints markdown; writes `bench-results/reads-<date>.md`
 * and, at 1M messages, the read section of docs/benchmarks.md. `BENCH_READ_KEEP_DB=<name>` reuses
 * a PostgreSQL database already filled (never dropped). Progress on stderr.
 */
export async function runReadBench(): Promise<void> {
  const messages = Number(process.env.BENCH_READ_MESSAGES ?? 1_000_000);
  const n = Number(process.env.BENCH_READ_CALLS ?? 60);
  const warmup = Number(process.env.BENCH_READ_WARMUP ?? 5);
  const keepDb = process.env.BENCH_READ_KEEP_DB || undefined;
  const log = (l: string) => process.stderr.write(`[bench reads] ${l}\n`);
  const loadBefore = loadavg()[0]!;
  const data = await openReadData({ messages, dir: join(ROOT, 'bench-results', 'transfer-data'), keepDb, log });
  const logger = createLogger({ level: 'error' });
  const lite = await openStore({ backend: 'sqlite', url: data.libsqlUrl });
  const pg = await openStore({ backend: 'postgres', url: data.pgUrl, poolSize: 2 });
  // A second LibSQL connection for choosing terms and EXPLAIN (reads only).
  const raw = await openSqlite({ url: data.libsqlUrl });
  try {
    const scope = await chooseReadScope(raw);
    log(`scope: channel ${scope.channelId} (${scope.channelMessages} messages), terms ${JSON.stringify({ common: scope.common, two: scope.twoWords, rare: scope.rare, phrase: scope.phrase, none: scope.noHit })}`);
    const calls = readCalls(scope);
    const backends = [lite, pg].map(({ store }) => ({ messages: new MessageService({ store, log: logger }), profiles: new UserProfileService({ store, log: logger }) }));
    const samples = calls.map(() => [[], []] as number[][]);
    for (let round = 0; round < warmup + n; round++) {
      for (const [c, call] of calls.entries()) {
        for (const [b, services] of backends.entries()) {
          const t0 = performance.now();
          await call.run(services);
          if (round >= warmup) samples[c]![b]!.push(performance.now() - t0);
        }
      }
    }
    const explains = await explainSearches(calls, scope, raw, pg.pg!);
    const result = {
      messages,
      scope,
      rows: calls.map((c, i) => ({ call: c.name, libsql: latency(samples[i]![0]!), postgres: latency(samples[i]![1]!) })),
      explains,
      targetMs: 20,
    };
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    const command = `BENCH_ONLY=reads${messages !== 1_000_000 ? ` BENCH_READ_MESSAGES=${messages}` : ''}${n !== 60 ? ` BENCH_READ_CALLS=${n}` : ''} pnpm bench`;
    const report = readReport(result, { date, command, postgres: await serverVersion(data.pgUrl), loadBefore, loadAfter: loadavg()[0]!, copySeconds: data.copySeconds });
    console.log(report);
    const dir = join(ROOT, 'bench-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `reads-${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}.md`), report);
    if (messages === 1_000_000 && n >= 60) updateReadSection(join(ROOT, 'docs', 'benchmarks.md'), report);
  } finally {
    await raw.close();
    await lite.store.close();
    await pg.store.close();
    await data.drop();
  }
}
