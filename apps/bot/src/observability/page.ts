import { shadowChartSvg } from './chart.js';
import { html, Raw } from './html.js';
import type { StatusView } from './view.js';
import type { ComparedReadsState } from './sources.js';

/** How often the page fetches its fragment again, in ms. */
export const PAGE_REFRESH_MS = 5_000;
/** The fragment the page's script fetches (the inside of `<main>`). */
export const FRAGMENT_PATH = '/status/fragment';

const pct = (x: number | null, digits = 2) => (x === null ? '–' : `${(x * 100).toFixed(digits)} %`);
const ms = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${x.toFixed(x < 10 ? 2 : 1)} ms`);
const ago = (iso: string | undefined, now: number) => {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : s < 172800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} days ago`;
};
const badge = (ok: boolean | null, yes: string, no: string) => html`<span class="badge ${ok === null ? 'unk' : ok ? 'ok' : 'bad'}">${ok === null ? 'unknown' : ok ? yes : no}</span>`;

function backendRows(v: StatusView): Raw {
  const role = (b: 'sqlite' | 'postgres') =>
    [v.routing.primary === b ? 'primary' : null, v.routing.shadow === b ? 'shadow' : null, v.routing.reads === b && v.routing.primary !== b ? 'reads' : null].filter(Boolean).join(', ') || 'not used';
  return html`${(['sqlite', 'postgres'] as const).map((b) => {
    const h = v.backends[b];
    const name = b === 'sqlite' ? 'LibSQL' : 'PostgreSQL';
    return html`<tr data-backend="${b}"><th scope="row">${name}</th><td>${role(b)}</td><td>${h ? badge(h.ok, 'reachable', 'unreachable') : html`<span class="badge unk">not open</span>`}</td><td>${h ? ms(h.latencyMs) : '–'}</td><td class="err">${h?.error ?? ''}</td></tr>`;
  })}`;
}

const samplingCaption = (v: StatusView) => {
  const n = v.samples.length;
  const every = n > 1 ? (v.samples[n - 1]!.at - v.samples[0]!.at) / (n - 1) / 1000 : null;
  return `${n} samples${every === null ? '' : `, one every ${every < 10 ? every.toFixed(1) : Math.round(every)} s`}, from the bot's counters (the last hour at most; they restart with the bot).`;
};

function shadowSection(v: StatusView, now: number): Raw {
  const s = v.stats.shadow;
  if (!s) return html`<section id="shadow"><h2>Shadow writes</h2><p>No shadow in phase ${v.phase}.</p></section>`;
  const abandoned = (s as { abandoned?: number }).abandoned;
  const h = v.lastHour;
  return html`<section id="shadow"><h2>Shadow writes → ${s.backend === 'sqlite' ? 'LibSQL' : 'PostgreSQL'}</h2>
<div class="kpis">
<div class="kpi"><span class="n" data-k="shadow-rate">${pct(h.successRate)}</span><span>success, last ${h.minutes || '<1'} min</span></div>
<div class="kpi"><span class="n" data-k="shadow-succeeded">${s.succeeded}</span><span>succeeded since start</span></div>
<div class="kpi"><span class="n" data-k="shadow-failed">${s.failed}</span><span>failed (${s.timedOut} timed out)</span></div>
<div class="kpi"><span class="n" data-k="shadow-dropped">${s.dropped}</span><span>dropped (queue full)</span></div>
${abandoned === undefined ? '' : html`<div class="kpi"><span class="n" data-k="shadow-abandoned">${abandoned}</span><span>abandoned</span></div>`}
<div class="kpi"><span class="n" data-k="shadow-queue">${s.queued + s.unacknowledged}</span><span>queued, ${s.inFlight} in flight</span></div>
<div class="kpi"><span class="n" data-k="circuit">${s.circuit}</span><span>circuit</span></div>
</div>
<p class="small">Enqueued ${s.enqueued} row changes since start · apply p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}${s.lastError ? html` · last error ${s.lastError.code} ${ago(s.lastError.at, now)}: <span class="err">${s.lastError.message}</span>` : ''}</p>
<figure>${new Raw(shadowChartSvg(v.samples, now))}<figcaption>${samplingCaption(v)}</figcaption></figure>
${
  v.losses === null
    ? ''
    : v.losses.length === 0
      ? html`<p class="small">No shadow write lost since start.</p>`
      : html`<table><caption>Lost shadow writes since start, by table and cause</caption><thead><tr><th>outcome</th><th>table</th><th>cause</th><th>rows</th></tr></thead><tbody>${v.losses.map((l) => html`<tr><td>${l.outcome}</td><td>${l.table}</td><td>${l.cause}</td><td>${l.rows}</td></tr>`)}</tbody></table>`
}
</section>`;
}

function comparedSection(v: StatusView): Raw {
  const c = v.comparedReads;
  if (!c) return html`<section id="compared"><h2>Compared reads</h2><p data-k="compared">not enabled</p><p class="small">When enabled, a sampled share of reads also runs on the other backend and the answers are compared (consistency per call).</p></section>`;
  const calls = Object.entries(c.byCall);
  const name = (b: string) => (b === 'sqlite' ? 'LibSQL' : 'PostgreSQL');
  const win = c.window;
  const drops = (x: ComparedReadsState['total']) => Object.entries(x.droppedBy).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ');
  return html`<section id="compared"><h2>Compared reads <span class="small">(${pct(c.rate, 1)} of reads: ${name(c.served)} answers, ${name(c.other)} compared)</span></h2>
<div class="kpis">
<div class="kpi"><span class="n" data-k="consistency">${pct(c.total.consistency)}</span><span>consistency since start (${c.total.matched} of ${c.total.compared})</span></div>
<div class="kpi"><span class="n" data-k="consistency-window">${pct(win.total.consistency)}</span><span>last ${win.minutes} min (${win.total.matched} of ${win.total.compared})</span></div>
<div class="kpi"><span class="n" data-k="compared-mismatched">${c.total.mismatched}</span><span>mismatched</span></div>
<div class="kpi"><span class="n" data-k="compared-dropped">${c.total.dropped}</span><span>dropped${c.total.dropped ? ` (${drops(c.total)})` : ''}</span></div>
</div>
<table><thead><tr><th>call</th><th>compared</th><th>mismatched</th><th>consistency</th><th>last ${win.minutes} min</th><th>dropped</th><th>re-checked</th></tr></thead><tbody>${calls.map(
    ([call, x]) =>
      html`<tr data-call="${call}"><td>${call}</td><td>${x.compared}</td><td>${x.mismatched}</td><td>${pct(x.consistency)}</td><td>${pct(win.byCall[call]?.consistency ?? null)}</td><td>${x.dropped}</td><td>${x.rechecked}</td></tr>`,
  )}</tbody></table>
${
  c.recentMismatches.length === 0
    ? html`<p class="small">No mismatch since start (since ${c.since}). Answers that differed while a shadow write was landing were re-checked, as verify does.</p>`
    : html`<table><caption>Last mismatches (ids only; the log has the compare_read_mismatch events)</caption><thead><tr><th>when</th><th>call</th><th>how</th></tr></thead><tbody>${[...c.recentMismatches].reverse().map(
        (m) =>
          html`<tr><td>${m.at}</td><td>${m.call}</td><td>${[
            m.missing.length ? `missing on ${name(c.other)}: ${m.missing.join(' ')}` : '',
            m.extra.length ? `extra on ${name(c.other)}: ${m.extra.join(' ')}` : '',
            ...m.different.map((d) => `${d.id}: ${d.columns.join(', ')}`),
            m.order ? 'other order' : '',
            m.count ? `count ${m.count.served} vs ${m.count.other}` : '',
          ]
            .filter(Boolean)
            .join('; ')}</td></tr>`,
      )}</tbody></table>`
}
</section>`;
}

function reportsSection(v: StatusView, now: number): Raw {
  const vf = v.lastVerify;
  const g = v.lastGate;
  return html`<section id="reports"><h2>Last verify and gate</h2>
<p data-k="verify">${vf ? html`${badge(vf.ok, 'verify clean', 'verify found drift')} ${vf.drift} drifted of ${vf.rows} rows${vf.rejected ? `, ${vf.rejected} rejected` : ''} · ${vf.startedAt} (${ago(vf.startedAt, now)})` : html`<span class="badge unk">never run</span> no last-verify.json in ${v.dataDir}`}</p>
<p data-k="gate">${g ? html`${badge(g.ok, 'gate passed', 'gate failed')} ${g.ok ? '' : `failed: ${g.failed.join(', ')} · `}${g.at} (${ago(g.at, now)})` : html`<span class="badge unk">never run</span> no last-gate.json in ${v.dataDir}`}</p>
${g ? html`<details><summary>criteria</summary><ul>${g.criteria.map((c) => html`<li>${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.value} (needs ${c.threshold})</li>`)}</ul></details>` : ''}
</section>`;
}

/** The inside of `<main>`: every section, values escaped. Also served alone at {@link FRAGMENT_PATH}. */
export function renderFragment(v: StatusView, now = Date.now()): string {
  const st = v.stats;
  const flag = (name: string, on: boolean) => html`<li><code>${name}</code> ${on ? 'true' : 'unset'}</li>`;
  const j = v.journal;
  return html`<header><h1>Phase <span data-k="phase">${v.phase}</span></h1><p>${v.description} · writes → ${v.routing.primary}${v.routing.shadow ? ` (shadow → ${v.routing.shadow})` : ''} · reads ← ${v.routing.reads}</p>
<ul class="flags">${flag('USE_POSTGRES_PRIMARY', v.flags.usePostgresPrimary)}${flag('USE_POSTGRES_READ', v.flags.usePostgresRead)}${flag('USE_POSTGRES_SHADOW', v.flags.usePostgresShadow)}</ul></header>
<section id="next" class="next"><h2>Next safe step</h2><p data-k="next">${v.next.text}</p>${v.next.command ? html`<pre><code>${v.next.command}</code></pre>` : ''}<p class="small">docs/migration-guide.md, ${v.next.section}</p></section>
<section id="backends"><h2>Backends</h2><table><thead><tr><th>backend</th><th>role</th><th>reachable</th><th>SELECT 1</th><th>error</th></tr></thead><tbody>${backendRows(v)}</tbody></table>
<p class="small">Primary writes (${st.primary.backend}): p50 ${ms(st.primary.writeLatencyMs.p50)}, p99 ${ms(st.primary.writeLatencyMs.p99)} · reads (${st.reads.backend}): p50 ${ms(st.reads.latencyMs.p50)}, p99 ${ms(st.reads.latencyMs.p99)} · phase-5 read fallbacks ${st.reads.fallbacks}</p></section>
${shadowSection(v, now)}
${comparedSection(v)}
<section id="journal"><h2>Failure journal</h2><p data-k="journal">${j === null ? html`<span class="badge unk">unknown</span> the primary's journal could not be read` : html`${badge(j.size === 0, 'empty', `${j.size} entries`)} ${j.size > 0 ? html`rows that did not reach the shadow: repair them with <code>pnpm db reconcile --journal</code>` : 'every shadow write landed or was repaired'}`}</p>
${j && j.byTable && j.byTable.length > 0 ? html`<table><thead><tr><th>table</th><th>code</th><th>entries</th></tr></thead><tbody>${j.byTable.map((r) => html`<tr><td>${r.table}</td><td>${r.code}</td><td>${r.entries}</td></tr>`)}</tbody></table>` : ''}</section>
${reportsSection(v, now)}
<footer class="small">Updated <time data-k="at" datetime="${v.at}">${v.at}</time> · <a href="/status">/status</a> · <a href="/metrics">/metrics</a> · <a href="/readyz">/readyz</a></footer>`.value;
}

const CSS = `
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--unk:#6e7781;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#30363d}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:60rem;margin:0 auto;padding:1rem}h1{margin:.2rem 0;font-size:1.6rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
section{border-top:1px solid var(--line)}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
.table-wrap{overflow-x:auto}.err{color:var(--bad);word-break:break-word}.small{color:var(--muted);font-size:.85rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;color:#fff;font-size:.8rem;font-weight:600}.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.unk{background:var(--unk)}
.flags{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem;margin:.3rem 0}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr));gap:.5rem}.kpi{border:1px solid var(--line);border-radius:.4rem;padding:.4rem .6rem}.kpi span{display:block}.kpi .n{font-size:1.35rem;font-weight:650}
.next{background:color-mix(in srgb,var(--ok) 10%,transparent);padding:.2rem .8rem .6rem;border-radius:.4rem}pre{white-space:pre-wrap;word-break:break-word;margin:.3rem 0}
figure{margin:.6rem 0}svg.chart{max-width:100%;height:auto}svg .axis{stroke:var(--muted);stroke-width:1}svg .rate{fill:none;stroke:var(--ok);stroke-width:2}svg .rate-dot{fill:var(--ok)}svg .bad{fill:var(--bad)}svg .queue{fill:color-mix(in srgb,#0969da 35%,transparent);stroke:#0969da}svg text{fill:var(--muted);font-size:11px}
#stale{display:none;background:var(--bad);color:#fff;padding:.3rem .6rem;border-radius:.3rem}#stale.on{display:block}
@media (max-width:40rem){main{padding:.6rem}table{display:block;overflow-x:auto}th,td{padding:.25rem .3rem}table{font-size:.82rem}td.err{max-width:10rem}}
`;

/** The refresh script: fetches the fragment every few seconds and swaps it in; shows a banner while it fails. */
const SCRIPT = `(function(){var m=document.getElementById('status'),b=document.getElementById('stale');
function tick(){fetch('${FRAGMENT_PATH}',{cache:'no-store'}).then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.text()}).then(function(t){var o=document.querySelectorAll('details[open]');var open={};o.forEach(function(d){open[d.parentNode.id]=1});m.innerHTML=t;m.querySelectorAll('details').forEach(function(d){if(open[d.parentNode.id])d.open=true});b.className='';document.documentElement.dataset.refreshed=String(Date.now())}).catch(function(e){b.textContent='Not updating: '+e.message+' (retrying)';b.className='on'})}
setInterval(tick,${PAGE_REFRESH_MS});})();`;

/** The whole page (`GET /`): the fragment inside a document with inline CSS and the refresh script; no external resource. */
export function renderPage(v: StatusView, now = Date.now()): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${html`Bot · phase ${v.phase}`.value}</title><style>${CSS}</style></head>
<body><div id="stale" role="status"></div><main id="status" aria-live="polite">${renderFragment(v, now)}</main>
<script>${SCRIPT}</script></body></html>`;
}
