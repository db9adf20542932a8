/** The advice `db verify` prints after drift depends on the shell's phase (cli/commands/verify-hint.ts). */
import { describe, expect, it } from 'vitest';
import { driftHint } from '../src/cli/commands/verify-hint.js';

const table = (sqliteRows: number, missingInPostgres: number) => ({ table: 'messages', sqliteRows, postgresRows: sqliteRows - missingInPostgres, matched: 0, missingInPostgres, missingInSqlite: 0, different: 0, resolvedOnRecheck: 0, rejected: 0, ids: { missingInPostgres: [], missingInSqlite: [], different: [], rejected: [] }, durationMs: 0 });
const result = (sqliteRows: number, missingInPostgres: number) => ({ tables: [table(sqliteRows, missingInPostgres)] }) as unknown as Parameters<typeof driftHint>[0];

describe('driftHint', () => {
  it('phase 4/5: reconcile from LibSQL, the primary', () => {
    expect(driftHint(result(100, 1), { phase: '4', primary: 'sqlite' })).toBe('Repair with `pnpm db reconcile --from sqlite` (the primary of phase 4), then verify again.');
    expect(driftHint(result(100, 0), { phase: '5', primary: 'sqlite' })).toContain('--from sqlite');
  });

  it('phase 6+: reconcile from PostgreSQL, the primary', () => {
    expect(driftHint(result(100, 1), { phase: '6+', primary: 'postgres' })).toBe('Repair with `pnpm db reconcile --from postgres` (the primary of phase 6+), then verify again.');
  });

  it('phase 4 with most rows missing on PostgreSQL: the backfill, not a repair', () => {
    const hint = driftHint(result(100, 51), { phase: '4', primary: 'sqlite' });
    expect(hint).toContain('has not been backfilled yet');
    expect(hint).toContain('pnpm db copy');
    expect(driftHint(result(100, 50), { phase: '4', primary: 'sqlite' })).toContain('Repair with');
  });

  it('phase 1: no shadow writes, so shadow first, then backfill', () => {
    const hint = driftHint(result(100, 100), { phase: '1', primary: 'sqlite' });
    expect(hint).toContain('PostgreSQL receives no writes');
    expect(hint).toContain('USE_POSTGRES_SHADOW=true');
    expect(hint).not.toContain('Repair with');
  });

  it('phase 6: LibSQL is frozen, drift is expected; the way back is 6+ then reconcile from PostgreSQL', () => {
    const hint = driftHint(result(100, 0), { phase: '6', primary: 'postgres' });
    expect(hint).toContain('LibSQL receives no writes');
    expect(hint).toContain('phase 6+ first');
    expect(hint).toContain('`pnpm db reconcile --from postgres`');
  });
});
