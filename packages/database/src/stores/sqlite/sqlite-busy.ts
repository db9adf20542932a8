/**
 * SQLITE_BUSY that the busy timeout cannot cover. SQLite answers BUSY at once, without calling its
 * busy handler, where waiting could deadlock (a connection holding a read lock that needs a write
 * or exclusive one: sqlite.org/c3ref/busy_handler.html). Several processes starting on one file at
 * once (bot replicas: the WAL switch, the migration) meet it; the remedy is to try the step again.
 */

/** Whether `e`, or an error it wraps (`cause`, as drizzle does), is SQLITE_BUSY. */
export function isSqliteBusy(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (String((x as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY') || /SQLITE_BUSY/.test(String((x as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
}

/**
 * Runs `step`, again after a short pause (10 ms doubling to 250 ms) while it fails with SQLITE_BUSY,
 * for at most `budgetMs` ms. `step` must be safe to repeat (one transaction, or idempotent).
 * @throws the step's last error: any error that is not SQLITE_BUSY at once, SQLITE_BUSY once the budget is spent.
 */
export async function retryWhileBusy<T>(step: () => Promise<T>, budgetMs: number): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
    try {
      return await step();
    } catch (e) {
      if (!isSqliteBusy(e) || Date.now() >= deadline) throw e;
    }
    await new Promise((res) => setTimeout(res, wait));
  }
}
