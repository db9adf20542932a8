import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { replayCommand, type ReplayCliOptions } from '../src/cli/replay.js';
import { serveCommand } from '../src/cli/serve.js';
import { loadBotConfig } from '../src/config.js';
import { startBot } from '../src/lifecycle.js';
import { describeStartupError } from '../src/startup-error.js';
import { memoryLogger, sqliteCounts, sqliteRows, testBackends } from './helpers.js';

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), interactive: false };
}

let backends: Awaited<ReturnType<typeof testBackends>>;
beforeAll(async () => {
  backends = await testBackends(false);
});
afterAll(async () => {
  await backends?.cleanup();
});

describe('start-up errors: one redacted line, no stack, non-zero exit', () => {
  const cases: Array<[string, Record<string, string>, RegExp, number]> = [
    ['UNSAFE_PHASE', { USE_POSTGRES_READ: 'true' }, /^error UNSAFE_PHASE: USE_POSTGRES_READ=true without USE_POSTGRES_SHADOW/, 2],
    ['INVALID_FLAG', { USE_POSTGRES_SHADOW: 'maybe' }, /^error INVALID_FLAG: USE_POSTGRES_SHADOW is not a flag value/, 2],
    ['DATABASE_URL_MISSING', { USE_POSTGRES_SHADOW: 'yes' }, /^error DATABASE_URL_MISSING: .*set DATABASE_URL/, 2],
    ['INVALID_CONFIG (PORT)', { PORT: 'eighty' }, /^error INVALID_CONFIG: PORT must be an integer/, 2],
    ['INVALID_CONFIG (SHADOW_TIMEOUT_MS)', { SHADOW_TIMEOUT_MS: '-1' }, /^error INVALID_CONFIG: SHADOW_TIMEOUT_MS/, 2],
    ['DATABASE_UNREACHABLE', { USE_POSTGRES_SHADOW: 'on', DATABASE_URL: 'postgres://bot:s3cret-pw@127.0.0.1:1/botdb' }, /^error DATABASE_UNREACHABLE: PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/botdb is unreachable/, 3],
  ];
  for (const [name, extra, line, code] of cases) {
    it(name, async () => {
      const io = captureIo();
      const result = await serveCommand({ LIBSQL_URL: backends.sqlite.url, HOST: '127.0.0.1', PORT: '0', ...extra }, io);
      expect(result).toBe(code);
      expect(io.stderr).toHaveLength(1);
      expect(io.stderr[0]).toMatch(line);
      expect(io.stderr[0]).not.toContain('s3cret');
      expect(io.stderr[0]).not.toContain('\n'); // no stack trace
      expect(io.stdout).toEqual([]);
    });
  }

  it('EADDRINUSE: the port is taken (exit 1), and the database is closed again', async () => {
    const first = await startBot({ ...loadBotConfig({ LIBSQL_URL: backends.sqlite.url }), port: 0, host: '127.0.0.1' }, memoryLogger().logger);
    try {
      const io = captureIo();
      const result = await serveCommand({ LIBSQL_URL: backends.sqlite.url, HOST: '127.0.0.1', PORT: new URL(first.url).port }, io);
      expect(result).toBe(1);
      expect(io.stderr).toEqual([expect.stringMatching(/^error EADDRINUSE: /)]);
    } finally {
      await first.stop();
    }
  });

  it('anything else still gets one line', () => {
    expect(describeStartupError(new Error('boom'))).toEqual({ line: 'error STARTUP_FAILED: boom', exitCode: 1 });
  });
});

describe('bot replay', () => {
  const opts = (o: Partial<ReplayCliOptions>): ReplayCliOptions => ({ corpus: '/usr/share/games/fortunes', concurrency: 4, users: 10, channels: 3, searchEvery: 5, seed: 1, json: true, ...o });

  it('exits 2 with install instructions when the corpus is missing', async () => {
    const io = captureIo();
    expect(await replayCommand(opts({ corpus: '/nonexistent/fortunes' }), {}, io)).toBe(2);
    expect(io.stderr).toEqual([expect.stringMatching(/^error CORPUS_MISSING: no fortune corpus at \/nonexistent\/fortunes: install it with `sudo apt-get install -y fortunes-min fortunes`/)]);
  });

  it('starts the bot in-process (phase 1), posts the corpus and prints a JSON summary', async () => {
    const io = captureIo();
    const code = await replayCommand(opts({ limit: 30 }), { LIBSQL_URL: backends.sqlite.url, LOG_LEVEL: 'error' }, io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const s = JSON.parse(io.stdout.join('\n'));
    expect(s).toMatchObject({ phase: '1', entries: 30, requests: { failed: 0 }, shadow: null, drain: { drained: true, remaining: 0 }, target: expect.stringMatching(/\(in-process\)$/) });
    expect(s.requests.ok).toBe(s.requests.sent);
    expect(s.messagesStored).toBe(2 * s.requests.ok + s.searches.answered); // human + ai per request, a tool row per search
    expect(s.queriesStored).toBe(s.searches.answered);
    expect(s.analysesStored).toBeGreaterThan(0);
    expect(await sqliteCounts(backends.sqlite.url)).toMatchObject({ messages: s.messagesStored, queries: s.queriesStored });
    expect(s.events.search).toBeGreaterThan(3);
    expect(s.searches.answered).toBe(s.events.search);
    expect(s.messagesPerSecond).toBeGreaterThan(0);
  });

  it('posts to a running bot with --url and prints the text summary', async () => {
    const bot = await startBot({ ...loadBotConfig({ LIBSQL_URL: backends.sqlite.url }), port: 0, host: '127.0.0.1' }, memoryLogger().logger);
    try {
      const io = captureIo();
      expect(await replayCommand(opts({ url: bot.url, limit: 20, json: false }), {}, io)).toBe(0);
      const text = io.stdout.join('\n');
      expect(text).toMatch(/^replay {6}20 fortune entries \+ \d+ commands -> http:\/\/127\.0\.0\.1:\d+ \(phase 1\)$/m);
      expect(text).toMatch(/^requests {4}(\d+) sent, \1 ok, 0 failed$/m);
      expect(text).toMatch(/^searches {4}([1-4]) answered, [0-4] found hits, \1 query records$/m);
      expect(text).toMatch(/^messages {4}\d+ stored \(\d+ human \+ \d+ ai replies \+ [1-4] tool executions\)$/m);
      expect(text).toMatch(/^shadow {6}none in this phase$/m);
      expect(text).not.toMatch(/^stopped/m); // not ours to stop
    } finally {
      await bot.stop();
    }
  });

  it('--url: waits for a bot that restarts mid-run (SIGTERM drain, start again) and resends what it refused, storing nothing twice', async () => {
    const own = await testBackends(false);
    const config = { ...loadBotConfig({ LIBSQL_URL: own.sqlite.url }), host: '127.0.0.1' };
    let bot = await startBot({ ...config, port: 0 }, memoryLogger().logger);
    const port = Number(new URL(bot.url).port);
    const url = bot.url;
    try {
      const io = captureIo();
      const replay = replayCommand(opts({ url, limit: 60, concurrency: 2, rate: 40, retryMs: 15_000 }), {}, io);
      // Restart while the replay runs (about 1.5 s at 40 requests/s): stop, stay away 600 ms, start on the same port.
      await new Promise((r) => setTimeout(r, 500));
      await bot.stop();
      await new Promise((r) => setTimeout(r, 600));
      bot = await startBot({ ...config, port }, memoryLogger().logger);
      const code = await replay;
      const s = JSON.parse(io.stdout.join('\n'));
      expect(s.errors).toEqual([]);
      expect(code).toBe(0);
      expect(s.requests).toEqual({ sent: s.requests.sent, ok: s.requests.sent, failed: 0 });
      expect(s.outages.count).toBe(1); // one restart, even with 2 requests in flight when it began
      expect(s.outages.totalMs).toBeGreaterThanOrEqual(500);
      expect(s.outages.resent).toBeGreaterThanOrEqual(1);
      // Every request stored exactly once: the human message, the bot's reply (and a search's tool row).
      expect((await sqliteCounts(own.sqlite.url)).messages).toBe(s.messagesStored);
      expect(s.messagesStored).toBe(2 * s.requests.sent + s.searches.answered);
      const [human] = await sqliteRows(own.sqlite.url, "SELECT count(*) AS n, count(DISTINCT json_extract(metadata, '$.messageId')) AS platform_ids FROM messages WHERE sender_type = 'human'");
      expect(human).toEqual({ n: s.requests.sent, platform_ids: s.requests.sent });
    } finally {
      await bot.stop();
      await own.cleanup();
    }
  });

  it('without retry (--retry-ms 0) a restart mid-run fails the refused requests (exit 1)', async () => {
    const own = await testBackends(false);
    const config = { ...loadBotConfig({ LIBSQL_URL: own.sqlite.url }), host: '127.0.0.1' };
    let bot = await startBot({ ...config, port: 0 }, memoryLogger().logger);
    const port = Number(new URL(bot.url).port);
    try {
      const io = captureIo();
      const replay = replayCommand(opts({ url: bot.url, limit: 40, concurrency: 1, rate: 20, retryMs: 0 }), {}, io);
      await new Promise((r) => setTimeout(r, 300));
      await bot.stop();
      await new Promise((r) => setTimeout(r, 300));
      bot = await startBot({ ...config, port }, memoryLogger().logger);
      expect(await replay).toBe(1);
      const s = JSON.parse(io.stdout.join('\n'));
      expect(s.requests.failed).toBeGreaterThan(0);
      expect(s.errors[0]).toMatch(/ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET|HTTP 503/);
    } finally {
      await bot.stop();
      await own.cleanup();
    }
  });

  it('exits 1 when the bot cannot be reached', async () => {
    const io = captureIo();
    expect(await replayCommand(opts({ url: 'http://127.0.0.1:1', limit: 5 }), {}, io)).toBe(1);
    expect(io.stderr).toEqual([expect.stringMatching(/^error REPLAY_FAILED: /)]);
  });
});
