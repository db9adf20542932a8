import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux x86 and arm64). */
const TICKS = 100;

function backendTicks(dbName: string, into: Map<number, number>): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      // A backend's title is "postgres: <user> <database> <client> <state>" (update_process_title).
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!title.startsWith('postgres: ') || !title.split(' ').includes(dbName)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      into.set(Number(pid), Number(f[11]) + Number(f[12])); // utime + stime (fields 14, 15)
    } catch {
      // the process ended between readdir and read
    }
  }
}

/**
 * CPU seconds spent by the PostgreSQL backends of one database (server on this machine), polled
 * from /proc every `intervalMs` while an operation runs: it tells whether the tool or the server
 * was the bottleneck. A backend's last `intervalMs` before it exits can be missed; returns null
 * when no backend was seen (a remote server, or /proc unreadable).
 */
export function watchDatabaseCpu(dbName: string, intervalMs = 200): { stop(): number | null } {
  const last = new Map<number, number>();
  const timer = setInterval(() => backendTicks(dbName, last), intervalMs);
  timer.unref(); // never what keeps the process alive
  backendTicks(dbName, last);
  return {
    stop() {
      clearInterval(timer);
      backendTicks(dbName, last);
      if (last.size === 0) return null;
      let t = 0;
      for (const v of last.values()) t += v;
      return t / TICKS;
    },
  };
}
