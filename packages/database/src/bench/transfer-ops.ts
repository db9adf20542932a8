import { copyDatabase } from '../transfer/copy.js';
import { exportDatabase } from '../transfer/export.js';
import { importDirectory } from '../transfer/import.js';
import { verifyTables } from '../transfer/verify.js';
import type { ChildOp } from './transfer-protocol.js';

/**
 * Runs one operation with the product's own functions and defaults, as `pnpm db copy|export|import|verify`
 * would. Returns the rows it reports and a few figures that tell a correct run (rejects, drift).
 * @throws whatever the operation throws (the child then exits non-zero).
 */
export async function runOp(o: ChildOp): Promise<{ rows: number; detail: Record<string, unknown> }> {
  switch (o.op) {
    case 'copy': {
      const s = await copyDatabase({ libsqlUrl: o.libsqlUrl, databaseUrl: o.databaseUrl, rejectsDir: o.rejectsDir });
      return { rows: s.totals.read, detail: { imported: s.totals.imported, rejected: s.totals.rejected, reportedSeconds: s.seconds } };
    }
    case 'export': {
      const s = await exportDatabase({ libsqlUrl: o.libsqlUrl, outDir: o.dir });
      return { rows: s.totals.read, detail: { exported: s.totals.imported, rejected: s.totals.rejected, reportedSeconds: s.seconds } };
    }
    case 'import': {
      const s = await importDirectory({ dir: o.dir, databaseUrl: o.databaseUrl, rejectsDir: o.rejectsDir });
      return { rows: s.totals.read, detail: { imported: s.totals.imported, rejected: s.totals.rejected, reportedSeconds: s.seconds } };
    }
    case 'verify': {
      const r = await verifyTables({ libsqlUrl: o.libsqlUrl, databaseUrl: o.databaseUrl, recheckDelayMs: 0 });
      return { rows: r.rows, detail: { ok: r.ok, drift: r.drift, reportedRowsPerSecond: r.rowsPerSecond } };
    }
  }
}
