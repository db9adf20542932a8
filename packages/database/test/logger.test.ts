/**
 * Connection strings with passwords and `authToken=` values never reach log output: not in
 * messages, fields, nested objects, error messages or stacks, and not in what `createDatabase`,
 * the shadow writer and `close()` log in a real run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact, redactUrl } from '../src/logger.js';
import { createTestPostgres, createTestSqlite, TcpProxy } from '../src/testing/index.js';
import { captureLogs } from './helpers/log-capture.js';
import { openPhase } from './helpers/phase-db.js';
import { waitFor } from './helpers/wait.js';

const PW = 'Hunter2-s3cret';
const TOKEN = 'eyJhbGciOiJFZERTQSJ9.tokenbody.signature';

describe('redact', () => {
  it.each([
    [`postgres://bot:${PW}@db.railway.internal:5432/railway`, 'postgres://***@db.railway.internal:5432/railway'],
    [`postgresql://bot:${PW}@h/db?sslmode=require`, 'postgresql://***@h/db?sslmode=require'],
    [`POSTGRES://bot:${PW}@h/db`, 'POSTGRES://***@h/db'],
    [`postgres://:${PW}@h/db`, 'postgres://***@h/db'],
    [`postgres://bot@h/db`, 'postgres://***@h/db'],
    [`libsql://my-db.turso.io?authToken=${TOKEN}`, 'libsql://my-db.turso.io?authToken=***'],
    [`https://my-db.turso.io/?a=1&authToken=${TOKEN}&b=2`, 'https://my-db.turso.io/?a=1&authToken=***&b=2'],
    [`postgres://h/db?password=${PW}`, 'postgres://h/db?password=***'],
    [`wss://u:${PW}@host/x`, 'wss://***@host/x'],
    ['postgres://127.0.0.1:5432/db', 'postgres://127.0.0.1:5432/db'],
  ])('%s', (input, want) => {
    expect(redact(input)).toBe(want);
    expect(redact(`error while connecting to ${input} (refused)`)).toBe(`error while connecting to ${want} (refused)`);
  });

  it('redacts every URL of a longer text, and redactUrl passes undefined through', () => {
    const text = `a postgres://a:${PW}@h1/x then "libsql://t.io?authToken=${TOKEN}" and postgresql://b:${PW}@h2/y`;
    expect(redact(text)).not.toContain(PW);
    expect(redact(text)).not.toContain(TOKEN);
    expect(redactUrl(undefined)).toBeUndefined();
  });

  it('handles a password with URL-encoded @ or / and other reserved characters', () => {
    for (const pw of ['p%40ss', 'p%2Fss', 'a:b', 'x!$&()*+,;=']) {
      expect(redact(`postgres://bot:${pw}@h/db`)).toBe('postgres://***@h/db');
    }
  });
});

describe('the package logger', () => {
  const url = `postgres://bot:${PW}@db.internal:5432/app`;
  const turso = `libsql://app.turso.io?authToken=${TOKEN}`;

  function logEverything() {
    const { logger, raw } = captureLogs('debug');
    logger.info(`connecting to ${url}`);
    logger.info('connecting to %s and %s', url, turso);
    logger.info({ databaseUrl: url, libsqlAuthToken: TOKEN, authToken: TOKEN, password: PW }, 'known fields');
    logger.info({ config: { databaseUrl: url, libsqlAuthToken: TOKEN, libsqlUrl: turso } }, 'config object');
    logger.warn({ event: 'shadow_write_failed', error: `connect to ${url} failed` }, 'shadow write failed');
    logger.error({ err: new Error(`boom at ${url}`) }, 'with err');
    logger.error(new Error(`thrown at ${turso}`));
    logger.error({ error: new Error(`nested ${url}`) }, 'error object');
    logger.error({ event: 'shadow_drain_incomplete', stats: { lastError: { code: 'X', message: `lost ${url}`, at: 'now' } } }, 'nested message');
    logger.info({ libsqlUrl: turso, target: { url }, urls: [url, turso] }, 'other fields');
    const child = logger.child({ databaseUrl: url, backendUrl: turso });
    child.info('child logger');
    return raw.join('\n');
  }

  it('never writes the password or the token, whatever the field or nesting', () => {
    const out = logEverything();
    expect(out).not.toContain(PW);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('***@db.internal:5432/app');
  });

  it('leaves non-string values as pino prints them (dates, numbers, booleans, null)', () => {
    const { logger, lines } = captureLogs('debug');
    const at = new Date('2026-01-02T03:04:05.000Z');
    logger.info({ at, n: 1.5, ok: true, none: null, list: [1, 'x'] }, 'values');
    expect(lines[0]).toMatchObject({ at: at.toISOString(), n: 1.5, ok: true, none: null, list: [1, 'x'], msg: 'values' });
  });
});

describe('a real run never logs the credentials', () => {
  let file: ReturnType<typeof createTestSqlite>;
  let pg: Awaited<ReturnType<typeof createTestPostgres>>;
  let proxy: TcpProxy;
  beforeAll(async () => {
    file = createTestSqlite();
    pg = await createTestPostgres('logger');
    const u = new URL(pg.url);
    proxy = await new TcpProxy(u.hostname, Number(u.port || 5432)).start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await pg?.drop();
    file?.remove();
  });

  it('start-up, shadow failures, drain and close, in phase 4 with a password in DATABASE_URL', async () => {
    // The test server trusts local connections, so any password is accepted (and must never be logged).
    const u = new URL(proxy.urlFor(pg.url));
    u.username = 'postgres';
    u.password = PW;
    const { logger, raw, events } = captureLogs('debug');
    const place = { userId: 'u', username: 'n', channelId: 'c', channelName: 'general' };
    const db = await openPhase('4', { sqliteUrl: `${file.url}?authToken=${TOKEN}`.replace(/\?.*/, ''), pgUrl: u.toString() }, { SHADOW_TIMEOUT_MS: '300', SHADOW_MODE: 'inline', SHADOW_DRAIN_TIMEOUT_MS: '500' }, logger);
    await db.messageService.saveHumanMessage({ ...place, messageContent: 'ok', messageId: 'x0' });
    proxy.mode = 'refuse';
    proxy.resetAll();
    for (let i = 0; i < 5; i++) await db.messageService.saveHumanMessage({ ...place, messageContent: `m${i}`, messageId: `x${i + 1}` });
    await waitFor('shadow failures', () => db.shadowStats()!.failed >= 5);
    proxy.mode = 'stall';
    await db.messageService.saveHumanMessage({ ...place, messageContent: 'stalled', messageId: 'x9' });
    await db.close();
    proxy.heal();
    expect(events('database_ready')).toHaveLength(1);
    expect(events('shadow_write_failed').length).toBeGreaterThanOrEqual(5);
    const out = raw.join('\n');
    expect(out).not.toContain(PW);
    expect(out).not.toContain(TOKEN);
  });
});
