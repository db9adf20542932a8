import type { ReplaySummary } from './run.js';

/** The replay summary as lines of text (the default output of `bot replay`). */
export function formatSummary(s: ReplaySummary, target: string): string {
  const e = s.events;
  const docs = e['doc-new'] + e['doc-show'] + e['doc-edit'] + e['doc-title'] + e['doc-share'] + e['doc-unshare'] + e['doc-delete'] + e['doc-list'];
  const lines = [
    `replay      ${s.entries} fortune entries + ${s.requests.sent - s.entries} commands -> ${target} (phase ${s.phaseAtStart === s.phase ? s.phase : `${s.phaseAtStart}, then ${s.phase}`})`,
    `requests    ${s.requests.sent} sent, ${s.requests.ok} ok, ${s.requests.failed} failed`,
    `messages    ${s.messagesStored} stored (${s.requests.ok} human + ${s.requests.ok} ai replies + ${s.messagesStored - 2 * s.requests.ok} tool executions)`,
    `searches    ${s.searches.answered} answered, ${s.searches.withHits} found hits, ${s.queriesStored} query records`,
    `profiles    ${s.analysesStored} analysis snapshots (message-count milestones)`,
    `commands    ${docs} !doc (${s.documentsCreated} documents created, ${s.documentsDeleted} deleted), ${e.profile} !profile, ${e.help} !help`,
    `errors      ${s.requests.failed}`,
    ...s.errors.map((x) => `            ${x}`),
    ...(s.outages.count > 0
      ? [`restarts    the bot stopped answering ${s.outages.count} time(s), ${(s.outages.totalMs / 1000).toFixed(1)} s in all; ${s.outages.resent} requests it refused sent again`]
      : []),
    s.shadow
      ? `shadow      ${s.shadow.sinceRestart ? "(since the bot's last start) " : ''}${s.shadow.backend}: ${s.shadow.succeeded} succeeded, ${s.shadow.failed} failed (${s.shadow.timedOut} timed out), ${s.shadow.dropped} dropped` +
        (s.shadow.settled ? `; settled in ${(s.settleMs / 1000).toFixed(1)} s` : `; NOT settled after ${(s.settleMs / 1000).toFixed(1)} s (${s.shadow.queued} queued, ${s.shadow.inFlight} in flight)`)
      : 'shadow      none in this phase',
    `elapsed     ${(s.elapsedMs / 1000).toFixed(1)} s, ${s.messagesPerSecond} messages/s`,
  ];
  return lines.join('\n');
}
