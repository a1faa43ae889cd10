// The usage view's charts: inline SVG from the server's `daily` series (no script, no network).
// Pure: no `vscode` import. Colours come from CSS classes (the page's <style>), so the markup has
// no style attributes and the page's CSP needs no 'unsafe-inline'.
//
//   #chart-daily: tokens per day over the grant period, stacked cache hit / cache miss / output,
//                 with the even daily allowance (the grant spread over its days) as a dashed line.
//   #chart-grant: the cumulative use against the grant, and the server's forecast (dashed) from
//                 today to the run-out date or the grant's last day.
import type { DailySeries } from './protocol';

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 84;
const RIGHT = 16;
const TOP = 16;
const BOTTOM = 30;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
const DAY_MS = 86_400_000;

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Days from `from` to `to` (ISO dates, UTC). */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

function fixed(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

interface Frame {
  /** x of the left edge of day index i (0 = the grant's first day; `count` = the right end). */
  x: (i: number) => number;
  /** y of a token count. */
  y: (tokens: number) => number;
  count: number;
}

function frame(daily: DailySeries, yMax: number): Frame {
  const count = Math.max(daysBetween(daily.start, daily.end) + 1, 1);
  return {
    count,
    x: (i) => LEFT + (i / count) * PLOT_W,
    y: (tokens) => TOP + PLOT_H - (yMax > 0 ? (tokens / yMax) * PLOT_H : 0),
  };
}

/** Axes, a few horizontal grid lines with labels, and the start / today / end dates. */
function axes(daily: DailySeries, f: Frame, yMax: number): string {
  const parts: string[] = [];
  for (const share of [0, 0.5, 1]) {
    const y = fixed(f.y(yMax * share));
    parts.push(`<line class="grid" x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}"/>`);
    parts.push(`<text class="label" x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${integer.format(yMax * share)}</text>`);
  }
  const base = HEIGHT - BOTTOM + 16;
  parts.push(`<text class="label" x="${LEFT}" y="${base}">${esc(daily.start)}</text>`);
  parts.push(`<text class="label" x="${WIDTH - RIGHT}" y="${base}" text-anchor="end">${esc(daily.end)}</text>`);
  const today = daysBetween(daily.start, daily.today);
  if (today >= 0 && today < f.count) {
    const x = fixed(f.x(today + 1));
    parts.push(`<line class="today" x1="${x}" y1="${TOP}" x2="${x}" y2="${HEIGHT - BOTTOM}"/>`);
    parts.push(`<text class="label" x="${x}" y="${TOP - 4}" text-anchor="middle">today</text>`);
  }
  return parts.join('');
}

function svg(id: string, title: string, description: string, body: string): string {
  return (
    `<svg id="${id}" class="chart" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
    `width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(description)}</desc>${body}</svg>`
  );
}

/** Tokens per day, stacked by cache hit / miss / output, with the even daily allowance. */
export function dailyChartSvg(daily: DailySeries): string {
  const highest = Math.max(daily.allowancePerDay, ...daily.days.map((d) => d.total));
  const yMax = highest * 1.1;
  const f = frame(daily, yMax);
  const slot = PLOT_W / f.count;
  const barW = Math.max(slot * 0.7, 1);
  const bars: string[] = [];
  for (const day of daily.days) {
    const i = daysBetween(daily.start, day.date);
    if (i < 0 || i >= f.count || day.total <= 0) {
      continue;
    }
    const x = fixed(f.x(i) + (slot - barW) / 2);
    let below = 0;
    const tip = `${day.date}: ${integer.format(day.total)} tokens (${integer.format(day.hit)} cache hit, ` +
      `${integer.format(day.miss)} cache miss, ${integer.format(day.output)} output)`;
    const rects: string[] = [];
    for (const part of ['hit', 'miss', 'output'] as const) {
      const value = day[part];
      if (value <= 0) {
        continue;
      }
      const y = f.y(below + value);
      // At least half a pixel, so a day with use never looks like a day without.
      const h = Math.max(f.y(below) - y, 0.5);
      rects.push(`<rect class="${part}" x="${x}" y="${fixed(f.y(below) - h)}" width="${fixed(barW)}" height="${fixed(h)}"/>`);
      below += value;
    }
    bars.push(`<g class="day" data-date="${esc(day.date)}"><title>${esc(tip)}</title>${rects.join('')}</g>`);
  }
  const ay = fixed(f.y(daily.allowancePerDay));
  const allowance =
    `<line class="allowance" x1="${LEFT}" y1="${ay}" x2="${WIDTH - RIGHT}" y2="${ay}">` +
    `<title>Even share of the grant: ${integer.format(daily.allowancePerDay)} tokens a day</title></line>`;
  const used = daily.days.reduce((sum, d) => sum + d.total, 0);
  return svg(
    'chart-daily',
    'Tokens per day',
    `${integer.format(used)} tokens over ${daily.days.length} days; the even share of the grant is ` +
      `${integer.format(daily.allowancePerDay)} tokens a day.`,
    axes(daily, f, yMax) + bars.join('') + allowance,
  );
}

/** The cumulative use against the grant, with the forecast to the run-out date or the expiry. */
export function grantChartSvg(daily: DailySeries): string {
  const last = daily.days.at(-1)?.cumulative ?? 0;
  const forecastEnd = daily.forecast?.at(-1)?.cumulative ?? 0;
  const yMax = Math.max(daily.grantTokens, last, forecastEnd) * 1.05;
  const f = frame(daily, yMax);
  const points = [`${fixed(f.x(0))},${fixed(f.y(0))}`];
  for (const day of daily.days) {
    const i = daysBetween(daily.start, day.date);
    if (i >= 0 && i < f.count) {
      points.push(`${fixed(f.x(i + 1))},${fixed(f.y(day.cumulative))}`);
    }
  }
  const gy = fixed(f.y(daily.grantTokens));
  const parts = [
    axes(daily, f, yMax),
    `<line class="grant" x1="${LEFT}" y1="${gy}" x2="${WIDTH - RIGHT}" y2="${gy}"><title>The grant: ${integer.format(daily.grantTokens)} tokens</title></line>`,
    `<text class="label grant-label" x="${WIDTH - RIGHT}" y="${fixed(f.y(daily.grantTokens) - 5)}" text-anchor="end">grant ${integer.format(daily.grantTokens)}</text>`,
    `<polyline class="used" points="${points.join(' ')}"><title>Used so far: ${integer.format(last)} tokens</title></polyline>`,
  ];
  let forecastText = 'No forecast.';
  if (daily.forecast && daily.forecast.length >= 2) {
    const fp = daily.forecast.map((p) => `${fixed(f.x(daysBetween(daily.start, p.date) + 1))},${fixed(f.y(p.cumulative))}`);
    const end = daily.forecast[daily.forecast.length - 1];
    forecastText = `Forecast: ${integer.format(end?.cumulative ?? 0)} tokens by ${end?.date ?? ''}.`;
    parts.push(`<polyline class="forecast" points="${fp.join(' ')}"><title>${esc(forecastText)}</title></polyline>`);
  }
  return svg(
    'chart-grant',
    'The grant used',
    `${integer.format(last)} of ${integer.format(daily.grantTokens)} tokens used by ${daily.today}. ${forecastText}`,
    parts.join(''),
  );
}

/** The legend under the charts (HTML). */
export const CHART_LEGEND =
  '<p class="legend"><span class="key hit"></span>cache hit <span class="key miss"></span>cache miss ' +
  '<span class="key output"></span>output <span class="key allowance"></span>even share of the grant per day ' +
  '<span class="key used"></span>used so far <span class="key forecast"></span>forecast ' +
  '<span class="key grant"></span>the grant</p>';

/** The CSS of the charts (for the page's <style>). */
export const CHART_CSS = `
.chart { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
.chart .grid { stroke: var(--vscode-panel-border); stroke-width: 1; }
.chart .label { fill: var(--vscode-descriptionForeground); font-size: 11px; }
.chart .today { stroke: var(--vscode-descriptionForeground); stroke-dasharray: 2 3; }
.hit { fill: var(--vscode-charts-blue); background: var(--vscode-charts-blue); }
.miss { fill: var(--vscode-charts-orange); background: var(--vscode-charts-orange); }
.output { fill: var(--vscode-charts-purple); background: var(--vscode-charts-purple); }
.chart .allowance { stroke: var(--vscode-charts-green); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart .used { fill: none; stroke: var(--vscode-charts-blue); stroke-width: 2; }
.chart .forecast { fill: none; stroke: var(--vscode-charts-blue); stroke-width: 2; stroke-dasharray: 5 4; }
.chart .grant { stroke: var(--vscode-charts-red); stroke-width: 1.5; }
.chart .grant-label { fill: var(--vscode-charts-red); }
.legend .key { display: inline-block; width: 1.2em; height: 0.6em; margin: 0 0.3em 0 0.8em; vertical-align: middle; }
.legend .key.allowance { border-top: 2px dashed var(--vscode-charts-green); height: 0; }
.legend .key.used { border-top: 2px solid var(--vscode-charts-blue); height: 0; }
.legend .key.forecast { border-top: 2px dashed var(--vscode-charts-blue); height: 0; }
.legend .key.grant { border-top: 2px solid var(--vscode-charts-red); height: 0; }
`;
