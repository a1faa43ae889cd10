// The usage view's HTML from a `deepseekFim/status` payload: the charts of its `daily` series,
// then the tables. Pure: no `vscode` import.
import type { SessionStats, StatusPayload } from './protocol';
import { CHART_CSS, CHART_LEGEND, dailyChartSvg, grantChartSvg } from './usageChart';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function num(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? integer.format(value) : '—';
}

function percent(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : '—';
}

/** The session's cache-hit ratio, with its hit and prompt tokens when the server sends them. */
function cacheHits(session: SessionStats): string {
  const { promptHitTokens: hit, promptMissTokens: miss } = session;
  const ratio = percent(session.cacheHitRatio);
  return typeof hit === 'number' && typeof miss === 'number'
    ? `${ratio} (${num(hit)} of ${num(hit + miss)} prompt tokens)`
    : ratio;
}

function ms(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${integer.format(value)} ms` : '—';
}

function text(value: string | null | undefined): string {
  return value ? escapeHtml(value) : '—';
}

function row(cells: string[], tag: 'td' | 'th' = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

/**
 * The rows of the summary table: [label, value] (values already HTML-escaped). The grant's rows
 * (money left, tokens left at the user's mix, used, pace, ...) are the server's own text.
 */
export function summaryRows(s: StatusPayload): [string, string][] {
  const rows: [string, string][] = [['State', text(s.state)]];
  for (const [label, value] of s.summary ?? []) {
    rows.push([label, text(value)]);
  }
  if (s.balance) {
    rows.push([
      'Account balance',
      `${escapeHtml(s.balance.total)} ${escapeHtml(s.balance.currency)} (granted ${escapeHtml(
        s.balance.granted,
      )}, topped up ${escapeHtml(s.balance.toppedUp)}; checked ${escapeHtml(s.balance.checkedAt)})${
        s.balance.isAvailable ? '' : '; calls NOT allowed'
      }`,
    ]);
  }
  return rows;
}

/** A complete HTML page (no scripts) for the usage webview. */
export function renderUsageHtml(s: StatusPayload, cspSource: string): string {
  const summary = summaryRows(s)
    .map(([k, v]) => row([escapeHtml(k), v]))
    .join('\n');
  const session = s.session;
  const sessionRows = session
    ? [
        ['Requests', num(session.requests)],
        ['Cancelled', num(session.cancelled)],
        ['Errors', num(session.errors)],
        ['Shown', num(session.shown)],
        ['Accepted', num(session.accepted)],
        ['Acceptance rate', percent(session.acceptanceRate)],
        ['Prompt cache hits', cacheHits(session)],
        ['Latency p50 / p95', `${ms(session.latencyP50Ms)} / ${ms(session.latencyP95Ms)}`],
      ]
        .map(([k, v]) => row([escapeHtml(k ?? ''), v ?? '']))
        .join('\n')
    : row(['No session statistics from the server.']);
  const days = s.days ?? [];
  const dayRows = days.length
    ? days
        .map((d) =>
          row([text(d.date), num(d.requests), num(d.hit), num(d.miss), num(d.output), text(d.cost)]),
        )
        .join('\n')
    : row(['No usage recorded in this grant period yet.', '', '', '', '', '']);
  const message = s.message ? `<p class="message">${escapeHtml(s.message)}</p>` : '';
  const charts = s.daily
    ? `<h2>Tokens per day</h2>\n${dailyChartSvg(s.daily)}\n<h2>The grant</h2>\n${grantChartSvg(s.daily)}\n${CHART_LEGEND}`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>DeepSeek FIM usage</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { text-align: left; padding: 0.25em 1em 0.25em 0; border-bottom: 1px solid var(--vscode-panel-border); }
td:not(:first-child), th:not(:first-child) { font-variant-numeric: tabular-nums; }
.message { font-weight: bold; color: var(--vscode-errorForeground); }
${CHART_CSS}</style>
</head>
<body>
<h1>${text(s.text)}</h1>
${message}
${charts}
<h2>Grant</h2>
<table id="summary">
${summary}
</table>
<h2>This session</h2>
<table id="session">
${sessionRows}
</table>
<h2>Per day</h2>
<table id="days">
${row(['Date', 'Requests', 'Cache hit', 'Cache miss', 'Output', 'Cost'], 'th')}
${dayRows}
</table>
</body>
</html>`;
}
