import type { TableChecksum } from './checksum.js';
import type { AdoptPlan, PlanStep } from './plan.js';
import type { PgAdoptPlan, PgPlanStep, PgTableChecksum } from './pg/apply.js';

/** One plan step as a screen line. */
export function stepLine(s: PlanStep): string {
  switch (s.kind) {
    case 'add-column':
      return `add column   ${s.table}.${s.definition.replace(/^"([^"]+)"/, "$1")}`;
    case 'create-table':
      return `create table ${s.table}`;
    case 'create-index':
      return `create index ${s.index} ${s.definition}`;
    case 'rebuild-fts':
      return `rebuild FTS  messages_fts from messages (${s.reason})`;
    case 'stamp-journal':
      return `stamp        __drizzle_migrations: ${s.tag} (hash ${s.hash.slice(0, 12)}…, created_at ${s.createdAt})`;
  }
}

/** The plan as printed by `db adopt`. */
export function formatPlan(plan: AdoptPlan): string[] {
  const l = plan.layout;
  const out = [`layout: ${l.kind}${l.omegaVersion ? ` (${l.omegaVersion})` : ''}: ${l.description}`];
  if (plan.steps.length === 0) return out;
  out.push(`plan: ${plan.steps.length} changes in one transaction; no row is rewritten, no column renamed or dropped:`);
  for (const s of plan.steps) out.push(`  ${stepLine(s)}`);
  return out;
}

/** Per-table row counts and checksums, one line each. */
export function checksumLines(label: string, sums: readonly TableChecksum[]): string[] {
  return sums.map((c) => `${label.padEnd(7)}${c.table.padEnd(24)}${String(c.rows).padStart(9)} rows  sha256 ${c.sha256}`);
}

/** One PostgreSQL plan step as a screen line. */
export function pgStepLine(s: PgPlanStep): string {
  switch (s.kind) {
    case 'convert-column':
      return `convert      ${s.table}.${s.column} ${s.from} → ${s.to}`;
    case 'add-column':
      return `add column   ${s.table}.${s.definition.replace(/^"([^"]+)"/, '$1')}`;
    case 'rename-constraint':
      return `rename       ${s.table}: constraint ${s.from} → ${s.to}`;
    case 'add-constraint':
      return `add          ${s.table}: constraint ${s.name}`;
    case 'create-table':
      return `create table ${s.table}`;
    case 'create-index':
      return `create index ${s.index} ${s.definition}`;
    case 'create-extension':
      return `create ext   ${s.name} (for ${s.neededBy.join(', ')})`;
    case 'stamp-journal':
      return `stamp        drizzle.__drizzle_migrations: ${s.tag} (hash ${s.hash.slice(0, 12)}…, created_at ${s.createdAt})`;
  }
}

/** The PostgreSQL plan as printed by `db adopt --target postgres`. */
export function formatPgPlan(plan: PgAdoptPlan): string[] {
  const l = plan.layout;
  const out = [`layout: ${l.kind}: ${l.description}`];
  if (plan.steps.length === 0) return out;
  out.push(`plan: ${plan.steps.length} changes in one transaction (the six tables locked); no row deleted, no column renamed or dropped; types converted only without loss:`);
  for (const s of plan.steps) out.push(`  ${pgStepLine(s)}`);
  const d = l.differences;
  if (d?.keptIndexes.length) out.push(`kept: omega-bot's own index(es) ${d.keptIndexes.join(', ')}`);
  if (d?.otherTables.length) out.push(`left alone: other tables ${d.otherTables.join(', ')}`);
  return out;
}

/** Per-table row counts and checksums of a PostgreSQL adoption, one line each. */
export function pgChecksumLines(label: string, sums: readonly PgTableChecksum[]): string[] {
  return sums.map((c) => `${label.padEnd(7)}${c.table.padEnd(24)}${String(c.rows).padStart(9)} rows  sha256 ${c.sha256}`);
}
