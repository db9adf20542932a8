/**
 * Configuration: flag parsing, the phase table, unsafe combinations, a missing DATABASE_URL, and
 * an unreachable PostgreSQL at start-up (one line, password redacted).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { parseFlag } from '../src/config/flags.js';
import { derivePhase, type PhaseFlags } from '../src/config/phase.js';
import { createDatabase } from '../src/database.js';
import { DatabaseError, isDatabaseError } from '../src/errors.js';
import { createTestSqlite, TcpProxy } from '../src/testing/index.js';
import { silentLogger } from './helpers/silent-logger.js';

function thrown(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (e) {
    if (isDatabaseError(e)) return e;
    throw e;
  }
  throw new Error('expected a DatabaseError');
}

const FLAGS = ['USE_POSTGRES_PRIMARY', 'USE_POSTGRES_READ', 'USE_POSTGRES_SHADOW'] as const;

describe('flag values', () => {
  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['1', true], ['yes', true], ['YES', true], ['on', true], ['On', true],
    [' yes ', true], ['\ttrue\n', true],
    ['false', false], ['FALSE', false], ['0', false], ['no', false], ['No', false], ['off', false], ['OFF', false],
    ['', false], ['   ', false], [undefined, false],
  ])('%j → %s', (raw, want) => {
    expect(parseFlag('USE_POSTGRES_SHADOW', raw)).toBe(want);
  });

  it.each(['maybe', '2', 'tru', 'ye', 'y', 'n', 't', 'f', '-1', '01', 'true1', 'enable', 'null', 'undefined', 'yes please', 'o n'])(
    '%j is INVALID_FLAG naming the variable and the accepted values, never the value',
    (raw) => {
      for (const variable of FLAGS) {
        const e = thrown(() => loadConfig({ [variable]: raw, DATABASE_URL: 'postgres://u@h/db' }));
        expect(e.code).toBe('INVALID_FLAG');
        expect(e.message).toContain(variable);
        expect(e.message).not.toContain(JSON.stringify(raw)); // it may be a secret pasted into the wrong variable
        for (const v of ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']) expect(e.message).toContain(v);
        expect(e.details).toMatchObject({ variable });
        expect(JSON.stringify(e.details)).not.toContain(JSON.stringify(raw));
      }
    },
  );

  it('DB_AUTO_MIGRATE takes the same values', () => {
    expect(loadConfig({ DB_AUTO_MIGRATE: 'off' }).autoMigrate).toBe(false);
    expect(loadConfig({}).autoMigrate).toBe(true);
    expect(thrown(() => loadConfig({ DB_AUTO_MIGRATE: 'nah' })).code).toBe('INVALID_FLAG');
  });
});

describe('phase derivation (docs/design.md table, all eight combinations)', () => {
  const table: Array<[PhaseFlags, string | 'UNSAFE_PHASE', string?, string?, string?]> = [
    // primary, read, shadow → phase, writes, shadow, reads
    [{ usePostgresPrimary: false, usePostgresRead: false, usePostgresShadow: false }, '1', 'sqlite', '', 'sqlite'],
    [{ usePostgresPrimary: false, usePostgresRead: false, usePostgresShadow: true }, '4', 'sqlite', 'postgres', 'sqlite'],
    [{ usePostgresPrimary: false, usePostgresRead: true, usePostgresShadow: true }, '5', 'sqlite', 'postgres', 'postgres'],
    [{ usePostgresPrimary: false, usePostgresRead: true, usePostgresShadow: false }, 'UNSAFE_PHASE'],
    [{ usePostgresPrimary: true, usePostgresRead: false, usePostgresShadow: false }, '6', 'postgres', '', 'postgres'],
    [{ usePostgresPrimary: true, usePostgresRead: true, usePostgresShadow: false }, '6', 'postgres', '', 'postgres'],
    [{ usePostgresPrimary: true, usePostgresRead: false, usePostgresShadow: true }, '6+', 'postgres', 'sqlite', 'postgres'],
    [{ usePostgresPrimary: true, usePostgresRead: true, usePostgresShadow: true }, '6+', 'postgres', 'sqlite', 'postgres'],
  ];
  it.each(table)('%j → phase %s', (flags, phase, primary, shadow, reads) => {
    if (phase === 'UNSAFE_PHASE') {
      expect(thrown(() => derivePhase(flags)).code).toBe('UNSAFE_PHASE');
      return;
    }
    const r = derivePhase(flags);
    expect({ phase: r.phase, primary: r.primary, shadow: r.shadow ?? '', reads: r.reads, needsPostgres: r.needsPostgres }).toEqual({
      phase,
      primary,
      shadow,
      reads,
      needsPostgres: phase !== '1',
    });
  });

  it('loadConfig derives the same routing from the environment', () => {
    expect(loadConfig({}).routing.phase).toBe('1');
    expect(loadConfig({ USE_POSTGRES_SHADOW: 'on', DATABASE_URL: 'postgres://u@h/db' }).routing.phase).toBe('4');
    expect(loadConfig({ USE_POSTGRES_SHADOW: '1', USE_POSTGRES_READ: 'yes', DATABASE_URL: 'postgres://u@h/db' }).routing.phase).toBe('5');
    expect(loadConfig({ USE_POSTGRES_PRIMARY: 'TRUE', DATABASE_URL: 'postgres://u@h/db' }).routing.phase).toBe('6');
    expect(loadConfig({ USE_POSTGRES_PRIMARY: 'true', USE_POSTGRES_SHADOW: 'true', DATABASE_URL: 'postgres://u@h/db' }).routing.phase).toBe('6+');
    expect(loadConfig({ USE_POSTGRES_PRIMARY: '', USE_POSTGRES_SHADOW: ' ' }).routing.phase).toBe('1');
  });

  it('READ without SHADOW and PRIMARY is UNSAFE_PHASE, naming the phases probably meant', () => {
    const e = thrown(() => loadConfig({ USE_POSTGRES_READ: 'true', DATABASE_URL: 'postgres://u@h/db' }));
    expect(e.code).toBe('UNSAFE_PHASE');
    expect(e.message).toContain('USE_POSTGRES_READ');
    expect(e.message).toMatch(/phase 5 \(USE_POSTGRES_READ=true USE_POSTGRES_SHADOW=true\)/);
    expect(e.message).toMatch(/phase 6 \(USE_POSTGRES_PRIMARY=true\)/);
    // Also with an explicit false shadow, and before any DATABASE_URL check.
    expect(thrown(() => loadConfig({ USE_POSTGRES_READ: 'on', USE_POSTGRES_SHADOW: 'off' })).code).toBe('UNSAFE_PHASE');
  });
});

describe('DATABASE_URL', () => {
  it.each([
    [{ USE_POSTGRES_SHADOW: 'true' }, '4'],
    [{ USE_POSTGRES_SHADOW: 'true', USE_POSTGRES_READ: 'true' }, '5'],
    [{ USE_POSTGRES_PRIMARY: 'true' }, '6'],
    [{ USE_POSTGRES_PRIMARY: 'true', USE_POSTGRES_SHADOW: 'true' }, '6+'],
  ])('missing when %j needs PostgreSQL → DATABASE_URL_MISSING (phase %s)', (flags, phase) => {
    for (const url of [undefined, '', '   ']) {
      const e = thrown(() => loadConfig({ ...flags, DATABASE_URL: url }));
      expect(e.code).toBe('DATABASE_URL_MISSING');
      expect(e.message).toContain('DATABASE_URL');
      expect(e.details).toMatchObject({ variable: 'DATABASE_URL', phase });
    }
  });

  it('not needed in phase 1', () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
  });

  it('createDatabase also refuses a config without it', async () => {
    const cfg = { ...loadConfig({}), flags: { usePostgresPrimary: true, usePostgresRead: false, usePostgresShadow: false } };
    await expect(createDatabase(cfg, { logger: silentLogger })).rejects.toMatchObject({ code: 'DATABASE_URL_MISSING' });
  });

  it('a malformed value or limit is INVALID_CONFIG naming the variable', () => {
    expect(thrown(() => loadConfig({ DATABASE_URL: 'mysql://x' }))).toMatchObject({ code: 'INVALID_CONFIG', details: { variable: 'DATABASE_URL' } });
    expect(thrown(() => loadConfig({ SHADOW_QUEUE_LIMIT: '0' }))).toMatchObject({ code: 'INVALID_CONFIG', details: { variable: 'SHADOW_QUEUE_LIMIT' } });
    expect(thrown(() => loadConfig({ SHADOW_TIMEOUT_MS: '1.5' }))).toMatchObject({ code: 'INVALID_CONFIG', details: { variable: 'SHADOW_TIMEOUT_MS' } });
    expect(thrown(() => loadConfig({ PG_POOL_SIZE: 'ten' }))).toMatchObject({ code: 'INVALID_CONFIG', details: { variable: 'PG_POOL_SIZE' } });
  });
});

describe('unreachable PostgreSQL at start-up', () => {
  const PASSWORD = 's3cr3t-Pa55word';
  let file: ReturnType<typeof createTestSqlite>;
  let proxy: TcpProxy;
  let closedPort: number;
  beforeAll(async () => {
    file = createTestSqlite();
    proxy = await new TcpProxy('127.0.0.1', 5432).start();
    proxy.mode = 'refuse';
    // A port nothing listens on: bind, read the port, close.
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    closedPort = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
  });
  afterAll(async () => {
    await proxy?.stop();
    file?.remove();
  });

  const cases = () => [
    ['a server that resets every connection', `postgres://bot:${PASSWORD}@127.0.0.1:${proxy.port}/botdb`],
    ['a closed port', `postgres://bot:${PASSWORD}@127.0.0.1:${closedPort}/botdb?sslmode=disable`],
  ] as const;

  it.each([0, 1])('case %i: createDatabase rejects with DATABASE_UNREACHABLE, one line, password redacted', async (i) => {
    const [, url] = cases()[i]!;
    for (const flags of [{ USE_POSTGRES_SHADOW: 'true' }, { USE_POSTGRES_PRIMARY: 'true' }]) {
      const cfg = loadConfig({ LIBSQL_URL: file.url, DATABASE_URL: url, ...flags });
      const t0 = performance.now();
      const e = await createDatabase(cfg, { logger: silentLogger }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(isDatabaseError(e, 'DATABASE_UNREACHABLE'), String(e)).toBe(true);
      const err = e as DatabaseError;
      expect(err.message).not.toContain('\n');
      expect(err.message).not.toContain(PASSWORD);
      expect(JSON.stringify(err.details)).not.toContain(PASSWORD);
      expect(err.message).toContain('PostgreSQL');
      expect(err.message).toContain('127.0.0.1');
      expect(err.message).toMatch(/\*\*\*@/);
    }
  });
});
