import type { ShadowSample } from './history.js';
import { escapeHtml } from './html.js';

const W = 600;
const PANEL_H = 90;
const GAP = 26;
const LEFT = 44;
const TOP = 14;

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/**
 * Inline SVG (no script, no external file) of the shadow writer over the samples' span: success
 * rate per sample (succeeded / finished, %; no point where nothing finished) on top, queue depth
 * (row changes) below. Scales with its container (`viewBox`, width 100%).
 */
export function shadowChartSvg(samples: readonly ShadowSample[], now = Date.now()): string {
  const H = TOP + PANEL_H + GAP + PANEL_H + 20;
  const plotW = W - LEFT - 8;
  const span = samples.length > 1 ? Math.max(1, samples.at(-1)!.at - samples[0]!.at) : 1;
  const x = (at: number) => LEFT + (samples.length > 1 ? ((at - samples[0]!.at) / span) * plotW : plotW);
  const rateTop = TOP;
  const queueTop = TOP + PANEL_H + GAP;
  const yRate = (pct: number) => rateTop + PANEL_H - (pct / 100) * PANEL_H;
  const maxQueue = Math.max(1, ...samples.map((s) => s.queue));
  const yQueue = (q: number) => queueTop + PANEL_H - (q / maxQueue) * PANEL_H;

  // Success rate: a polyline per run of samples that had finished writes.
  const segments: string[] = [];
  let run: string[] = [];
  const dots: string[] = [];
  for (const s of samples) {
    const done = s.succeeded + s.failed + s.dropped;
    if (done === 0) {
      if (run.length) segments.push(run.join(' '));
      run = [];
      continue;
    }
    const pct = (s.succeeded / done) * 100;
    run.push(`${x(s.at).toFixed(1)},${yRate(pct).toFixed(1)}`);
    if (pct < 100) dots.push(`<circle cx="${x(s.at).toFixed(1)}" cy="${yRate(pct).toFixed(1)}" r="2.5" class="bad"><title>${escapeHtml(`${new Date(s.at).toISOString()}: ${s.failed} failed, ${s.dropped} dropped of ${done}`)}</title></circle>`);
  }
  if (run.length) segments.push(run.join(' '));
  const lines = segments.map((p) => (p.includes(' ') ? `<polyline points="${p}" class="rate"/>` : `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2" class="rate-dot"/>`));
  const area = samples.length
    ? `<polygon class="queue" points="${[`${x(samples[0]!.at).toFixed(1)},${yQueue(0).toFixed(1)}`, ...samples.map((s) => `${x(s.at).toFixed(1)},${yQueue(s.queue).toFixed(1)}`), `${x(samples.at(-1)!.at).toFixed(1)},${yQueue(0).toFixed(1)}`].join(' ')}"/>`
    : '';
  const spanS = samples.length > 1 ? Math.round((now - samples[0]!.at) / 1000) : 0;
  const minutes = Math.round(spanS / 60);
  const since = spanS < 120 ? `${spanS} s ago` : `${minutes} min ago`;
  const axis = (top: number) => `<line x1="${LEFT}" y1="${top + PANEL_H}" x2="${W - 8}" y2="${top + PANEL_H}" class="axis"/><line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${top + PANEL_H}" class="axis"/>`;
  return [
    `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="shadow write success rate and queue depth over the last ${minutes} minutes" class="chart" preserveAspectRatio="xMidYMid meet">`,
    `<text x="${LEFT}" y="${rateTop - 3}" class="lbl">success rate %</text>`,
    `<text x="${LEFT - 4}" y="${rateTop + 4}" class="tick" text-anchor="end">100</text><text x="${LEFT - 4}" y="${rateTop + PANEL_H}" class="tick" text-anchor="end">0</text>`,
    axis(rateTop),
    ...lines,
    ...dots,
    `<text x="${LEFT}" y="${queueTop - 3}" class="lbl">queue (row changes)</text>`,
    `<text x="${LEFT - 4}" y="${queueTop + 4}" class="tick" text-anchor="end">${fmt(maxQueue)}</text><text x="${LEFT - 4}" y="${queueTop + PANEL_H}" class="tick" text-anchor="end">0</text>`,
    axis(queueTop),
    area,
    `<text x="${LEFT}" y="${H - 4}" class="tick">${samples.length > 1 ? since : 'no samples yet'}</text><text x="${W - 8}" y="${H - 4}" class="tick" text-anchor="end">now</text>`,
    '</svg>',
  ].join('');
}
