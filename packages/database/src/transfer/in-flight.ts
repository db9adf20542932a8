/**
 * At most `limit` tasks running at once. `add` resolves as soon as the task has a slot (not when it
 * ends), so the caller can prepare the next batch while earlier ones run: that is the pipeline
 * of import and copy. The first failure is rethrown by the next `add` or by `drain`.
 */
export class InFlight {
  readonly #running = new Set<Promise<void>>();
  #error: { e: unknown } | null = null;

  constructor(readonly limit: number) {}

  /** Starts `task` once fewer than `limit` are running. @throws the first error of any earlier task. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.limit) await Promise.race(this.#running);
    this.#check();
    const p: Promise<void> = task()
      .catch((e: unknown) => {
        this.#error ??= { e };
      })
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  /** Waits for every running task. @throws the first error of any task. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    this.#check();
  }

  #check(): void {
    if (this.#error) throw this.#error.e;
  }
}
