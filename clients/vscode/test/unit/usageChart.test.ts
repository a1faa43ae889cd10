import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DailySeries } from '../../src/protocol';
import { dailyChartSvg, grantChartSvg } from '../../src/usageChart';
import { renderUsageHtml } from '../../src/usageReport';

const daily: DailySeries = {
  start: '2026-11-20',
  end: '2026-12-19',
  today: '2026-11-22',
  grantTokens: 3_000_000,
  allowancePerDay: 100_000,
  days: [
    { date: '2026-11-20', hit: 100_000, miss: 50_000, output: 50_000, total: 200_000, cumulative: 200_000 },
    { date: '2026-11-21', hit: 0, miss: 0, output: 0, total: 0, cumulative: 200_000 },
    { date: '2026-11-22', hit: 60, miss: 30, output: 4, total: 94, cumulative: 200_094 },
  ],
  forecast: [
    { date: '2026-11-22', cumulative: 200_094 },
    { date: '2026-12-19', cumulative: 1_000_000 },
  ],
};

function attrs(svg: string, selector: RegExp): Record<string, string>[] {
  return [...svg.matchAll(selector)].map((m) =>
    Object.fromEntries([...(m[0] ?? '').matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1] ?? '', a[2] ?? ''])),
  );
}

test('daily chart: one stacked bar per day with use, heights in proportion', () => {
  const svg = dailyChartSvg(daily);
  assert.equal((svg.match(/<g class="day"/g) ?? []).length, 2, 'the idle day has no bar');
  const [hit, miss, output] = attrs(svg, /<rect class="(hit|miss|output)"[^>]*>/g);
  // y max = 200,000 * 1.1; plot height 174 px: 100,000 tokens = 79.09 px
  assert.ok(hit && miss && output);
  assert.equal(Number(hit.height).toFixed(0), '79');
  assert.equal(Number(miss.height).toFixed(0), '40');
  assert.equal(Number(output.height).toFixed(0), '40');
  assert.equal(Number(miss.y) + Number(miss.height), Number(hit.y), 'miss sits on hit');
  assert.match(svg, /<title>2026-11-20: 200,000 tokens \(100,000 cache hit, 50,000 cache miss, 50,000 output\)<\/title>/);
});

test('daily chart: a 94-token day is still visible, and the allowance line sits at 100,000', () => {
  const svg = dailyChartSvg(daily);
  const tiny = attrs(svg, /<g class="day" data-date="2026-11-22">.*?<\/g>/g);
  assert.equal(tiny.length, 1);
  const rects = attrs(svg.split('data-date="2026-11-22"')[1] ?? '', /<rect [^>]*>/g).slice(0, 3);
  assert.ok(rects.every((r) => Number(r.height) >= 0.5));
  const [allowance] = attrs(svg, /<line class="allowance"[^>]*>/g);
  const [hit] = attrs(svg, /<rect class="hit"[^>]*>/g);
  assert.equal(allowance?.y1, hit?.y, 'the first day\'s 100,000 cache-hit tokens reach the allowance line');
  assert.match(svg, /Even share of the grant: 100,000 tokens a day/);
});

test('grant chart: the used line from zero, the grant line, the dashed forecast to its end', () => {
  const svg = grantChartSvg(daily);
  const [used] = attrs(svg, /<polyline class="used"[^>]*>/g);
  const points = (used?.points ?? '').split(' ');
  assert.equal(points.length, 4, 'the start at zero and one point per day so far');
  const [forecast] = attrs(svg, /<polyline class="forecast"[^>]*>/g);
  const fp = (forecast?.points ?? '').split(' ');
  assert.equal(fp[0], points[3], 'the forecast starts where the use ends');
  assert.equal(fp[1]?.split(',')[0], '704', 'and ends at the right edge (the grant\'s last day)');
  assert.match(svg, /grant 3,000,000/);
  assert.match(svg, /200,094 of 3,000,000 tokens used by 2026-11-22\. Forecast: 1,000,000 tokens by 2026-12-19\./);
});

test('no forecast from the server: no forecast line', () => {
  const svg = grantChartSvg({ ...daily, forecast: null });
  assert.doesNotMatch(svg, /class="forecast"/);
  assert.match(svg, /No forecast\./);
});

test('the page draws both charts before the tables, with no script, style attribute or remote URL', () => {
  const html = renderUsageHtml({ state: 'ok', kind: 'Normal', text: 't', tooltip: '', daily }, 'vscode-resource:');
  assert.ok(html.indexOf('id="chart-daily"') < html.indexOf('id="chart-grant"'));
  assert.ok(html.indexOf('id="chart-grant"') < html.indexOf('id="summary"'));
  assert.ok(!/<script/i.test(html));
  assert.ok(!/ style="/.test(html));
  const urls = [...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg'], 'only the SVG namespace');
  assert.match(html, /default-src 'none'/);
  assert.doesNotMatch(renderUsageHtml({ state: 'ok', kind: 'Normal', text: 't', tooltip: '' }, 'x'), /<svg/);
});
