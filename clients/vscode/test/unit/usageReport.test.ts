import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusPayload } from '../../src/protocol';
import { escapeHtml, renderUsageHtml, summaryRows } from '../../src/usageReport';

const status: StatusPayload = {
  state: 'ok',
  kind: 'Normal',
  text: 'DeepSeek $8.36 ≈23M tok · 23d',
  tooltip: '',
  grantTokens: 5_000_000,
  usedTokens: 380_123,
  remainingTokens: 22_568_760,
  remainingAmount: '8.3588',
  remainingRatio: 0.9951,
  cost: '0.0412',
  currency: 'USD',
  cacheHitRatio: 0.61,
  summary: [
    ['Money left', "8.3588 USD of 8.40 (99.5%), from the ledger's cost at the price table"],
    ['Tokens left', '≈22.6M at your mix of the last 7 days (0.3704 USD per 1M tokens)'],
    ['Pace', '0.02 USD/day (≈54k tokens/day): lasts until the grant expires on 2026-12-20'],
  ],
  balance: { isAvailable: true, total: '8.36', granted: '8.36', toppedUp: '0.00', currency: 'USD', checkedAt: 'now' },
  session: { requests: 12, cancelled: 3, errors: 0, shown: 9, accepted: 4, acceptanceRate: 0.444, cacheHitRatio: 0.5, promptHitTokens: 1500, promptMissTokens: 1500, latencyP50Ms: 420, latencyP95Ms: 900 },
  days: [{ date: '2026-11-27', requests: 12, hit: 1280, miss: 70, output: 12, cost: '0.0000170' }],
};

test("summary rows are the server's own text, in its order, escaped", () => {
  const rows = summaryRows(status);
  assert.deepEqual(
    rows.map(([label]) => label),
    ['State', 'Money left', 'Tokens left', 'Pace', 'Account balance'],
  );
  const byLabel = Object.fromEntries(rows);
  assert.equal(byLabel['Money left'], '8.3588 USD of 8.40 (99.5%), from the ledger&#39;s cost at the price table');
  assert.equal(byLabel['Tokens left'], '≈22.6M at your mix of the last 7 days (0.3704 USD per 1M tokens)');
  assert.match(byLabel['Account balance'] ?? '', /^8\.36 USD/);
});

test('the page has the per-day table and session stats, and no script', () => {
  const html = renderUsageHtml(status, 'vscode-resource:');
  assert.match(html, /<td>2026-11-27<\/td><td>12<\/td><td>1,280<\/td><td>70<\/td><td>12<\/td><td>0\.0000170<\/td>/);
  assert.match(html, /<td>Acceptance rate<\/td><td>44\.4%<\/td>/);
  assert.match(html, /<td>Latency p50 \/ p95<\/td><td>420 ms \/ 900 ms<\/td>/);
  assert.match(html, /<td>Prompt cache hits<\/td><td>50\.0% \(1,500 of 3,000 prompt tokens\)<\/td>/);
  const session = { requests: 1, cancelled: 0, errors: 0, shown: 1, accepted: 0, acceptanceRate: 0, cacheHitRatio: 0.5, latencyP50Ms: 1, latencyP95Ms: 1 };
  const older = renderUsageHtml({ ...status, session }, 'x');
  assert.match(older, /<td>Prompt cache hits<\/td><td>50\.0%<\/td>/);
  assert.ok(!/<script/i.test(html));
  assert.match(html, /default-src 'none'/);
});

test('missing figures show a dash and an empty ledger says so', () => {
  const html = renderUsageHtml({ state: 'noKey', kind: 'Warning', text: 'DeepSeek: no key', tooltip: '' }, 'x');
  assert.match(html, /No usage recorded/);
  assert.match(html, /No session statistics/);
  assert.match(html, /<td>State<\/td><td>noKey<\/td>/);
});

test('text from the server is escaped', () => {
  assert.equal(escapeHtml(`<b a="1">&'`), '&#60;b a=&#34;1&#34;&#62;&#38;&#39;');
  const html = renderUsageHtml({ ...status, message: '<img src=x onerror=alert(1)>' }, 'x');
  assert.ok(!html.includes('<img'));
});
