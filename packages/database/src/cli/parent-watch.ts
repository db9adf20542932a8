/**
 * `pnpm db copy` runs the CLI as pnpm's child (`exec node …`: the shell is replaced, pnpm stays the
 * parent). A SIGTERM or Ctrl-C reaches the CLI, but `kill -9` of pnpm does not: the CLI would go on,
 * orphaned. Under a package manager (npm_lifecycle_event set), this watches the parent: when it is
 * gone (the parent pid changes: the orphan was re-parented), the CLI gets a SIGTERM from itself and
 * stops exactly as on `kill -TERM` — copy and import after the batches in flight (exit 130,
 * resumable), the other commands at once.
 */

/** How often the parent pid is read, in ms. */
export const PARENT_POLL_MS = 200;

/**
 * Starts watching the parent when `env.npm_lifecycle_event` is set (the CLI runs as a package
 * manager's script). The timer is unref'd: it never keeps the process alive. Returns a stop function.
 * @param onOrphaned what to do when the parent is gone; default: SIGTERM to this process.
 */
export function watchParent(
  env: Record<string, string | undefined> = process.env,
  onOrphaned: () => void = () => process.kill(process.pid, 'SIGTERM'),
): () => void {
  if (!env.npm_lifecycle_event) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.stderr.write(`the package manager that started this command (pid ${parent}) is gone: stopping as on SIGTERM\n`);
    onOrphaned();
  }, PARENT_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
