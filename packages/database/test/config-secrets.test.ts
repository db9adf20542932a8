/**
 * Configuration that would write to the wrong place is refused, and secrets are never printed
 * (issue 14 §5, §6): DATABASE_URL must name its host and database; LIBSQL_URL must be a usable
 * URL (refused at once, never a spin); DB_AUTO_MIGRATE=false on an unmigrated backend refuses to
 * start with SCHEMA_MISSING; redaction works on the parsed connection string (passwords with `/`,
 * `"`, spaces, keyword/value DSNs), and errors name the variable, never its value — through
 * `loadConfig`, `createDatabase` and the built `db status`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createDatabase } from '../src/database.js';
import { DatabaseError } from '../src/errors.js';
import { redact, redactUrl } from '../src/logger.js';
import { migratePostgres, migrateSqlite } from '../src/migrations/migrate.js';
import { createTestPostgres, createTestSqlite } from '../src/testing/index.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { silentLogger } from './helpers/silent-logger.js';
import { cli } from './verify-fixtures.js';

function thrown(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (e) {
    return e as DatabaseError;
  }
  throw new Error('did not throw');
}

// Passwords an operator really pastes: reserved URL characters, quotes, spaces.
const PASSWORDS = ['pa/ss"wo rd-7Kq', 'x@y/z?#1-Lm', "it's a 'long' one 9Z", 'p%zz%-bad-escape', 'semi;colon&amp=1'];

describe('redactUrl works on the parsed connection string', () => {
  it.each(PASSWORDS)('URL form, password %j: neither raw nor encoded form is shown, host and database are', (pw) => {
    for (const form of [pw, encodeURIComponent(pw)]) {
      const url = `postgres://bot:${form}@db.internal:5432/app?sslmode=require`;
      const shown = redactUrl(url)!;
      expect(shown).toBe('postgres://***@db.internal:5432/app?sslmode=require');
      // Free text: the patterns cannot tell where a password with spaces ends; the parsed configuration can.
      try {
        loadConfig({ DATABASE_URL: url });
      } catch {
        // refused (unencoded) or not: its password is registered for redaction either way
      }
      expect(redact(`connecting to ${url} failed`)).not.toContain(form);
    }
  });

  it('keyword/value DSN: password and sslpassword values hidden (quoted or not), the rest kept', () => {
    expect(redactUrl("host=db.internal port=5432 dbname=app user=bot password='se cret\\'s-1' sslpassword=k3y-Pass")).toBe('host=db.internal port=5432 dbname=app user=bot password=*** sslpassword=***');
    expect(redactUrl('host=h password=Hunter2-s3cret dbname=d')).toBe('host=h password=*** dbname=d');
    expect(redact('bad DATABASE_URL host=h password=Hunter2-s3cret dbname=d')).not.toContain('Hunter2');
  });

  it('LibSQL URLs: authToken hidden; file URLs kept; anything unparseable shown by its scheme only', () => {
    expect(redactUrl('libsql://app-org.turso.io?authToken=eyJhbGciOi.body.sig')).toBe('libsql://app-org.turso.io?authToken=***');
    expect(redactUrl('file:/data/bot.db')).toBe('file:/data/bot.db');
    expect(redactUrl('mysql:Hunter2-s3cret')).toBe('mysql:***');
    expect(redactUrl('Hunter2-s3cret')).toBe('***');
  });
});

describe('loadConfig: host and database explicit, LIBSQL_URL usable, values never echoed', () => {
  it.each([
    ['postgres://', /names no host/],
    ['postgresql://', /names no host/],
    ['postgres://db.internal', /names no database/],
    ['postgres://db.internal/', /names no database/],
    ['postgres://bot:pw@db.internal:5432', /names no database/],
    ['postgres:///app', /names no host/],
    ['postgres://bot:pw@/app', /names no host|not a valid URL/],
    ['postgres://bot:pa/ss@db.internal/app', /not a valid URL/],
    ['postgres://bot:p%zz@db.internal/app', /not a valid URL/],
    ['host=db.internal dbname=app password=Hunter2-s3cret', /must be a URL/],
  ])('DATABASE_URL=%j is INVALID_CONFIG naming DATABASE_URL, not its value', (url, why) => {
    for (const flags of [{}, { USE_POSTGRES_SHADOW: 'true' }, { USE_POSTGRES_PRIMARY: 'true' }]) {
      const e = thrown(() => loadConfig({ DATABASE_URL: url, ...flags }));
      expect(e).toMatchObject({ code: 'INVALID_CONFIG', details: { variable: 'DATABASE_URL' } });
      expect(e.message).toMatch(/^DATABASE_URL /);
      expect(e.message).toMatch(why);
      if (url.length > 12) expect(e.message).not.toContain(url);
      expect(e.message).not.toContain('Hunter2');
    }
  });

  it('explicit host and database (or a socket folder in ?host=) are accepted', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://bot:p%2Fw@db.internal:5432/app', USE_POSTGRES_SHADOW: 'true' }).databaseUrl).toBe('postgres://bot:p%2Fw@db.internal:5432/app');
    expect(loadConfig({ DATABASE_URL: 'postgres://bot@localhost/app' }).databaseUrl).toBe('postgres://bot@localhost/app');
    expect(loadConfig({ DATABASE_URL: 'postgresql:///app?host=/var/run/postgresql' }).databaseUrl).toBe('postgresql:///app?host=/var/run/postgresql');
  });

  it.each([
    ['/data/bot.db', /must be a file: URL/],
    ['bot.db', /must be a file: URL/],
    ['mysql://db/x', /must be a file: URL/],
    ['file:', /names no file/],
    ['file:/proc/x/bot.db', /pseudo file system/],
    ['file:/sys/bot.db', /pseudo file system/],
    ['file:/tmp', /points to a folder/],
    ['file:/etc/hostname/bot.db', /not a folder/],
    ['libsql://', /names no host/],
  ])('LIBSQL_URL=%j is INVALID_CONFIG naming LIBSQL_URL, at once', (url, why) => {
    const t0 = performance.now();
    const e = thrown(() => loadConfig({ LIBSQL_URL: url }));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e).toMatchObject({ code: 'INVALID_CONFIG', details: { variable: 'LIBSQL_URL' } });
    expect(e.message).toMatch(why);
  });

  it('usable LIBSQL_URLs pass: a new file in a new folder, :memory:, remote URLs', () => {
    for (const url of ['file:/tmp/no-such-folder-w14/a/b.db', ':memory:', 'file::memory:', 'libsql://app-org.turso.io', 'https://app-org.turso.io', 'file:./data/bot.db']) {
      expect(loadConfig({ LIBSQL_URL: url }).libsqlUrl).toBe(url);
    }
  });

  // A secret pasted into the wrong variable: the error names the variable, never the value.
  const SECRET = 'Sk-live-Hunter2-s3cret';
  it.each(['PG_POOL_SIZE', 'SHADOW_CONCURRENCY', 'SHADOW_QUEUE_LIMIT', 'SHADOW_TIMEOUT_MS', 'SHADOW_DRAIN_TIMEOUT_MS', 'SHADOW_BATCH_LINGER_MS', 'SHADOW_MODE', 'SHADOW_WORKER_NICE', 'DB_AUTO_MIGRATE', 'USE_POSTGRES_PRIMARY', 'USE_POSTGRES_READ', 'USE_POSTGRES_SHADOW', 'LIBSQL_URL', 'DATABASE_URL'])(
    'a secret in %s: refused naming the variable, the value nowhere in the error',
    (variable) => {
      const e = thrown(() => loadConfig({ [variable]: SECRET }));
      expect(['INVALID_CONFIG', 'INVALID_FLAG']).toContain(e.code);
      expect(e.message).toContain(variable);
      expect(e.message).not.toContain(SECRET);
      expect(JSON.stringify(e.details)).not.toContain(SECRET);
    },
  );
});

describe('DB_AUTO_MIGRATE=false on an unmigrated backend: SCHEMA_MISSING at start-up', () => {
  let pg: Awaited<ReturnType<typeof createTestPostgres>>;
  let sqlite: ReturnType<typeof createTestSqlite>;
  beforeAll(async () => {
    pg = await createTestPostgres('schemamissing');
    sqlite = createTestSqlite('schema-missing.db');
  });
  afterAll(async () => {
    await pg?.drop();
    sqlite?.remove();
  });

  it('refuses on LibSQL (phase 1) and on PostgreSQL (phase 6, phase 4), starts once migrated', async () => {
    const open = (flags: Record<string, string>) => createDatabase(loadConfig({ LIBSQL_URL: sqlite.url, DATABASE_URL: pg.url, DB_AUTO_MIGRATE: 'false', SHADOW_MODE: 'inline', ...flags }), { logger: silentLogger });
    await expect(open({})).rejects.toMatchObject({ code: 'SCHEMA_MISSING', details: { backend: 'sqlite' } });
    await expect(open({ USE_POSTGRES_PRIMARY: 'true' })).rejects.toMatchObject({ code: 'SCHEMA_MISSING', details: { backend: 'postgres' } });
    await migrateSqlite(sqlite.url);
    const p1 = await open({});
    await p1.close();
    await expect(open({ USE_POSTGRES_SHADOW: 'true' })).rejects.toMatchObject({ code: 'SCHEMA_MISSING', details: { backend: 'postgres' } });
    await migratePostgres(pg.url);
    const p4 = await open({ USE_POSTGRES_SHADOW: 'true' });
    await p4.close();
  });
});

describe('`db status` never prints a secret, whatever variable holds it', () => {
  let dir: string;
  beforeAll(() => {
    ensureFreshDist();
    dir = mkdtempSync(join(tmpdir(), 'config-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const SECRET = 'Zq9-Hunter2-s3cret';
  const cases: Array<[string, Record<string, string>]> = [
    ['keyword/value DATABASE_URL', { DATABASE_URL: `host=127.0.0.1 port=1 dbname=app user=bot password=${SECRET}`, USE_POSTGRES_SHADOW: 'true' }],
    ['quoted keyword/value DATABASE_URL', { DATABASE_URL: `host=127.0.0.1 dbname=app password='${SECRET} x'` }],
    ['password with / " and a space', { DATABASE_URL: `postgres://bot:a/${SECRET}" b@127.0.0.1:1/app`, USE_POSTGRES_SHADOW: 'true' }],
    ['encoded password, unreachable', { DATABASE_URL: `postgres://bot:${encodeURIComponent(`a/${SECRET}" b`)}@127.0.0.1:1/app`, USE_POSTGRES_SHADOW: 'true' }],
    ['DATABASE_URL without host', { DATABASE_URL: `postgres://:${SECRET}@/`, USE_POSTGRES_SHADOW: 'true' }],
    ['LIBSQL_URL authToken', { LIBSQL_URL: `libsql://127.0.0.1:1?authToken=${SECRET}` }],
    ['LIBSQL_AUTH_TOKEN', { LIBSQL_URL: 'libsql://127.0.0.1:1', LIBSQL_AUTH_TOKEN: SECRET }],
    ['secret in LIBSQL_URL', { LIBSQL_URL: SECRET }],
    ['secret in a flag', { USE_POSTGRES_SHADOW: SECRET }],
    ['secret in PG_POOL_SIZE', { PG_POOL_SIZE: SECRET }],
    ['secret in SHADOW_MODE', { SHADOW_MODE: SECRET }],
  ];
  it.each(cases)('%s', async (_name, env) => {
    for (const args of [['status', '--data-dir', dir], ['--json', 'status', '--data-dir', dir]]) {
      const r = await cli(args, { LIBSQL_URL: `file:${join(dir, 'bot.db')}`, ...env });
      expect(r.code, r.stderr).not.toBe(0);
      for (const form of [SECRET, encodeURIComponent(SECRET)]) {
        expect(r.stdout).not.toContain(form);
        expect(r.stderr).not.toContain(form);
      }
    }
  });
});
