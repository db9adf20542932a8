import type { TableChecksum } from './checksum.js';
import type { AdoptPlan, PlanStep } from './plan.js';

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
