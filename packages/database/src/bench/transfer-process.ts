import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one measured process did. */
export interface ProcessMeasure {
  /** Wall clock from spawn to exit, in seconds. */
  readonly seconds: number;
  /** Peak resident set size in MB (MiB): GNU time's `%M`, else the last `VmHWM` polled from /proc. */
  readonly peakRssMb: number;
  /** User + system CPU seconds of the process (all its threads), or null without GNU time. */
  readonly cpuSeconds: number | null;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const GNU_TIME = '/usr/bin/time';

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs `cmd args` and measures it: wall seconds from spawn to exit and peak RSS. Under GNU time
 * (`/usr/bin/time -f '%M %U %S'`, Debian package `time`) when installed, so the peak is the kernel's
 * maxrss of the process (and user + system CPU seconds are known); otherwise /proc/<pid>/status VmHWM polled every 50 ms (a high-water
 * mark, so only growth in the last 50 ms before exit can be missed). Output is collected whole.
 */
export function measureCommand(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessMeasure> {
  const timeFile = join(tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const wrapped = existsSync(GNU_TIME);
  const t0 = performance.now();
  const child = wrapped
    ? spawn(GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let polledKb = 0;
  const poll = wrapped ? null : setInterval(() => (polledKb = Math.max(polledKb, vmHwmKb(child.pid!))), 50);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      let kb = polledKb;
      let cpuSeconds: number | null = null;
      if (wrapped) {
        const lines = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n') : [];
        const [rss, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
        kb = rss || 0;
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuSeconds = user! + sys!;
        rmSync(timeFile, { force: true });
      }
      resolve({ seconds, peakRssMb: kb / 1024, cpuSeconds, exitCode: code, stdout, stderr });
    });
  });
}
