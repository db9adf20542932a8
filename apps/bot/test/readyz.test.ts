import { createClient } from '@libsql/client';
import { TcpProxy } from '@repo/database/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBotConfig } from '../src/config.js';
import { startBot, type RunningBot } from '../src/lifecycle.js';
import type { Readiness } from '../src/observability/readiness.js';
import { memoryLogger, phaseEnv, testBackends } from './helpers.js';

// /healthz is liveness (the process answers); /readyz is readiness (the primary answers and has the
// schema). Real bots: phase 4 on a LibSQL file (its schema then broken), phase 6 on PostgreSQL behind
// a proxy the test turns off.

async function get(bot: RunningBot, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${bot.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/readyz in phase 4 (LibSQL primary)', () => {
  let backends: Awaited<ReturnType<typeof testBackends>>;
  let bot: RunningBot;
  beforeAll(async () => {
    backends = await testBackends(true);
    bot = await startBot({ ...loadBotConfig(phaseEnv(backends.sqlite.url, backends.pg!.url)), port: 0, host: '127.0.0.1' }, memoryLogger().logger);
  });
  afterAll(async () => {
    await bot?.stop();
    await backends?.cleanup();
  });

  it('answers 200 ready with the primary and its latency', async () => {
    const r = await get(bot, '/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ready: true, code: null, reason: null, phase: '4', primary: 'sqlite', missing: [] } satisfies Partial<Readiness>);
    expect(r.body.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('answers 503 SCHEMA_MISSING once a table of the primary is gone, while /healthz stays 200', async () => {
    const c = createClient({ url: backends.sqlite.url });
    try {
      await c.execute('DROP TABLE user_analysis_history');
    } finally {
      c.close();
    }
    const r = await get(bot, '/readyz');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ ready: false, code: 'SCHEMA_MISSING', missing: ['user_analysis_history'] });
    expect(r.body.reason).toMatch(/user_analysis_history.*pnpm db migrate --target sqlite/);
    expect((await get(bot, '/healthz')).status).toBe(200);
  });
});

describe('/readyz in phase 6 (PostgreSQL primary behind a proxy)', () => {
  let backends: Awaited<ReturnType<typeof testBackends>>;
  let proxy: TcpProxy;
  let bot: RunningBot;
  beforeAll(async () => {
    backends = await testBackends(true);
    proxy = await new TcpProxy('127.0.0.1', Number(new URL(backends.pg!.url).port || 5432)).start();
    const env = { LIBSQL_URL: backends.sqlite.url, DATABASE_URL: proxy.urlFor(backends.pg!.url), USE_POSTGRES_PRIMARY: 'true', PG_CONNECT_TIMEOUT_MS: '1000' };
    bot = await startBot({ ...loadBotConfig(env), port: 0, host: '127.0.0.1' }, memoryLogger().logger);
  });
  afterAll(async () => {
    proxy.mode = 'pass';
    await bot?.stop();
    await proxy?.stop();
    await backends?.cleanup();
  });

  it('is ready while PostgreSQL answers, 503 PRIMARY_UNREACHABLE while it does not, ready again after', async () => {
    expect((await get(bot, '/readyz')).body).toMatchObject({ ready: true, phase: '6', primary: 'postgres' });
    proxy.mode = 'refuse';
    proxy.resetAll();
    const down = await get(bot, '/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ ready: false, code: 'PRIMARY_UNREACHABLE', primary: 'postgres', latencyMs: null });
    expect(down.body.reason).toMatch(/^the primary \(PostgreSQL\) does not answer: /);
    expect(JSON.stringify(down.body)).not.toContain(new URL(backends.pg!.url).password || 'postgres://');
    expect((await get(bot, '/healthz')).status).toBe(200);
    proxy.mode = 'pass';
    let again = await get(bot, '/readyz');
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await get(bot, '/readyz');
    }
    expect(again).toMatchObject({ status: 200, body: { ready: true } });
  });
});
