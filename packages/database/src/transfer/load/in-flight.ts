/**
 * A counting semaphore: at most `size` holders at once, waiters served in arrival order. Shared
 * by the tables that load at the same time (table-lanes.ts), so together they never have more
 * batches in flight than the pool has connections.
 */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  /** Resolves once a slot is held; give it back with {@link release}. */
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/**
 * At most `limit` tasks running at once (and, given `slots`, each also holding one of those shared
 * slots). `add` resolves as soon as the task has a slot (not when it ends), so the caller can
 * prepare the next batch while earlier ones run: that is the pipeline of import and copy. The
 * first failure is rethrown by the next `add` or by `drain`.
 */
export class InFlight {
  readonly #running = new Set<Promise<void>>();
  readonly #slots: Slots;
  #error: { e: unknown } | null = null;

  constructor(
    readonly limit: number,
    slots?: Slots,
  ) {
    this.#slots = slots ?? new Slots(limit);
  }

  /** Starts `task` once fewer than `limit` are running and a slot is free. @throws the first error of any earlier task. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.limit) await Promise.race(this.#running);
    this.#check();
    await this.#slots.acquire();
    const p: Promise<void> = task()
      .catch((e: unknown) => {
        this.#error ??= { e };
      })
      .finally(() => {
        this.#slots.release();
        this.#running.delete(p);
      });
    this.#running.add(p);
  }

  /** Waits for every running task of this InFlight (not the other holders of shared slots). @throws the first error of any task. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    this.#check();
  }

  #check(): void {
    if (this.#error) throw this.#error.e;
  }
}
