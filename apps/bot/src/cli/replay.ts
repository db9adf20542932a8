import { createLogger } from '@repo/database';
import { loadBotConfig } from '../config.js';
import { startBot, type RunningBot } from '../lifecycle.js';
import { CorpusError, DEFAULT_CORPUS, loadCorpus } from '../replay/corpus.js';
import { Random } from '../replay/random.js';
import { runReplay, type ReplaySummary } from '../replay/run.js';
import { formatSummary } from '../replay/summary.js';
import { describeStartupError, ExitCode } from '../startup-error.js';
import type { CliIo } from './io.js';

/** Options of `bot replay` (see `--help`). */
export interface ReplayCliOptions {
  readonly url?: string;
  readonly corpus: string;
  readonly limit?: number;
  readonly concurrency: number;
  readonly users: number;
  readonly channels: number;
  readonly searchEvery: number;
  readonly seed: number;
  /** Requests per second at most (unset: no limit). */
  readonly rate?: number;
  /** How long to wait for a bot that stops answering mid-run (only with `url`), ms. Default 30,000. */
  readonly retryMs?: number;
  readonly json: boolean;
}

/**
 * `bot replay`: loads the fortune corpus, picks `limit` entries (seeded shuffle), and posts them
 * to the bot's HTTP API. Without `--url` it starts the bot in-process on a free port of 127.0.0.1
 * with the environment's config (logs on stderr, LOG_LEVEL default `warn`) and stops it
 * afterwards, draining shadow writes.
 * Exit codes: 0 every request succeeded; 1 a request failed (or the bot could not be read);
 * 2 corpus missing or bad configuration; 3 database unreachable.
 */
export async function replayCommand(opts: ReplayCliOptions, env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  let entries: string[];
  try {
    const corpus = loadCorpus(opts.corpus);
    entries = new Random(opts.seed).shuffle([...corpus.entries]).slice(0, opts.limit ?? corpus.entries.length);
  } catch (e) {
    if (e instanceof CorpusError) {
      io.err(`error ${e.code}: ${e.message}`);
      return ExitCode.USAGE;
    }
    throw e;
  }

  let bot: RunningBot | null = null;
  if (!opts.url) {
    try {
      const config = loadBotConfig(env);
      const logger = createLogger({ name: 'bot', level: env.LOG_LEVEL || 'warn', destination: process.stderr });
      bot = await startBot({ ...config, port: 0, host: '127.0.0.1' }, logger);
    } catch (e) {
      const { line, exitCode } = describeStartupError(e);
      io.err(line);
      return exitCode;
    }
  }
  const url = opts.url ?? bot!.url;
  const target = opts.url ? url : `${url} (in-process)`;
  let lastPct = -1;
  let summary: ReplaySummary;
  let drain: { drained: boolean; remaining: number } | null = null;
  try {
    summary = await runReplay({
      url,
      entries,
      concurrency: opts.concurrency,
      users: opts.users,
      channels: opts.channels,
      searchEvery: opts.searchEvery,
      seed: opts.seed,
      ratePerSecond: opts.rate,
      // Only a bot of its own can restart under the replay; the in-process one never does.
      retryMs: opts.url ? (opts.retryMs ?? 30_000) : 0,
      onProgress: (done, total) => {
        const pct = Math.floor((done / total) * 100);
        if (io.interactive && !opts.json && pct !== lastPct) process.stderr.write(`\rreplay ${done}/${total} (${pct}%)${done === total ? '\n' : ''}`);
        lastPct = pct;
      },
    });
  } catch (e) {
    io.err(`error REPLAY_FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.FAILURE;
  } finally {
    if (bot) drain = await bot.stop();
  }

  if (opts.json) io.out(JSON.stringify({ target, ...summary, drain }, null, 2));
  else {
    io.out(formatSummary(summary, target));
    if (drain) io.out(`stopped     in-process bot closed, ${drain.drained ? 'shadow queue drained' : `${drain.remaining} shadow writes NOT drained`}`);
  }
  return summary.requests.failed > 0 ? ExitCode.FAILURE : ExitCode.OK;
}

export { DEFAULT_CORPUS };
