// A fresh profile with nothing installed but Python: the .vsix alone brings the server.
// No deepseekFim.server.* setting, an empty home, and a PATH (/usr/bin:/bin) whose python3 has no
// deepseek_fim and no deepseek-fim-ls: the extension must run its bundled/libs with that Python.
// Run: npm run package && node --test test/e2e/bundled.e2e.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ARTIFACTS, FakeDeepSeek, PYTHON, installVsix, launchBrowser, makeSandbox, readLogs, startCodeServer, waitFor, writeUserSettings,
} from './harness.mjs';

const KEY = 'sk-fake-test-key';
const COMPLETION = 'return a - b';
const BARE_PATH = '/usr/bin:/bin';

let sandbox;
/** code-server's environment: a bare PATH, and a new user's home (VS Code's server resolves the
 *  login shell's environment, and this machine's ~/.bashrc puts pyenv's python3 first). */
let env;
let fake;
let codeServer;
let browser;
let page;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `bundled-${name}.png`) });
const statusItem = () => page.locator('.statusbar-item').filter({ hasText: /DeepSeek/ }).first();

async function waitForState(state) {
  return waitFor(`the ${state} state in the status bar`, async () => {
    const label = (await statusItem().getAttribute('aria-label').catch(() => null)) ?? '';
    return label.includes(`(${state})`) && label;
  }, { timeoutMs: 60000, intervalMs: 250 });
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

function shell(command) {
  try {
    return { ok: true, out: execFileSync('/bin/sh', ['-c', command], { env: { PATH: BARE_PATH }, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    return { ok: false, out: String(error.stderr ?? error) };
  }
}

/** Eight days of earlier use in the ledger (records written through the ledger's own API), enough
 *  requests for the server to forecast, so the usage chart has a history to draw. */
function seedLedger(dir) {
  const code = `
import random, sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from deepseek_fim.budget.ledger import Ledger
now = datetime.now(UTC)
rng = random.Random(11)
with Ledger(sys.argv[1]) as ledger:
    ledger.grant_start((now - timedelta(days=8)).date())
    for back in range(8, 0, -1):
        for _ in range(rng.randint(4, 7)):
            hit, miss, output = rng.randint(20000, 60000), rng.randint(4000, 20000), rng.randint(300, 2500)
            # At the built-in deepseek-chat prices per 1M tokens (hit 0.028, miss 0.28, output 0.42 USD).
            cost = (Decimal(hit) * Decimal("0.028") + Decimal(miss) * Decimal("0.28")
                    + Decimal(output) * Decimal("0.42")) / 1000000
            ledger.record(model="deepseek-chat", hit=hit, miss=miss, output=output, cost=cost,
                          currency="USD", outcome="shown", at=now - timedelta(days=back))
`;
  execFileSync(PYTHON, ['-c', code, dir]);
}

describe('the .vsix alone, in a fresh profile, with only Python installed', { timeout: 300000 }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    sandbox = makeSandbox();
    env = { PATH: BARE_PATH, HOME: join(sandbox.root, 'home'), VIRTUAL_ENV: '', PYTHONPATH: '' };
    mkdirSync(env.HOME);
    fake = await FakeDeepSeek.start(sandbox.root, COMPLETION);
    await fake.configure({ api_key: KEY });
    writeFileSync(join(sandbox.workspace, 'sub.py'), 'def sub(a, b):');
    writeUserSettings(sandbox, {
      'deepseekFim.baseUrl': fake.url,
      'deepseekFim.debounceMs': 30,
      'files.hotExit': 'off',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'chat.commandCenter.enabled': false,
    });
    seedLedger(sandbox.ledger);
    await installVsix(sandbox, env);
    codeServer = await startCodeServer(sandbox, env);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${codeServer.url}/?folder=${encodeURIComponent(sandbox.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await codeServer?.stop();
    await fake?.stop();
    if (sandbox && !process.env.KEEP_E2E_SANDBOX) {
      rmSync(sandbox.root, { recursive: true, force: true });
    }
  });

  it('the machine has a Python 3.11+ without the server, and no deepseek-fim-ls', () => {
    const version = shell('python3 -c "import sys; print(sys.version_info[:2] >= (3, 11))"');
    assert.deepEqual(version, { ok: true, out: 'True\n' });
    assert.equal(shell('python3 -c "import deepseek_fim"').ok, false, 'python3 must not have the server installed');
    assert.equal(shell('command -v deepseek-fim-ls').ok, false);
  });

  it('starts the bundled server with python3 from PATH: no key yet', async () => {
    await waitForState('noKey');
    const log = readLogs(join(sandbox.user, 'logs'), /DeepSeek FIM/);
    const started = /Starting (\S+) -c import sys; sys\.path\.insert\(0, "([^"]+)"\).* \(from bundled\)/.exec(log);
    assert.ok(started, `the log names the bundled server:\n${log.slice(0, 2000)}`);
    assert.equal(started[1], '/usr/bin/python3');
    assert.ok(started[2].startsWith(sandbox.extensions), `bundled/libs of the installed extension: ${started[2]}`);
    assert.ok(existsSync(join(started[2], 'deepseek_fim', 'lsp', 'main.py')));
    await shot('01-no-key');
  });

  it('after Set API Key, typing gives ghost text from the fake API', async () => {
    await runCommand('DeepSeek FIM: Set API Key');
    const box = page.locator('.quick-input-widget input[type="password"]');
    await box.waitFor({ state: 'visible' });
    await box.fill(KEY);
    await page.keyboard.press('Enter');
    await waitForState('ok');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill('sub.py');
    await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'sub.py' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active:has-text("sub.py")').waitFor();
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    const ghost = page.locator('.ghost-text-decoration, .ghost-text').first();
    await ghost.waitFor({ state: 'visible', timeout: 30000 });
    const shown = (await page.locator('.ghost-text-decoration, .ghost-text').allInnerTexts()).join('').replace(/\u00a0/g, ' ');
    assert.equal(shown.trim(), COMPLETION);
    await shot('02-ghost-text');
    const fim = (await fake.log()).filter((e) => e.method === 'POST' && /\/completions$/.test(e.path));
    assert.ok(fim.some((e) => e.status === 200 && e.has_auth), 'the fake answered a request with the key');
  });

  it('the usage view charts the ledger: a bar per day with use, the used line and the forecast', async () => {
    await page.keyboard.press('Escape');
    await runCommand('DeepSeek FIM: Show Usage');
    const frame = await waitFor('the usage chart', async () => {
      for (const f of page.frames()) {
        if (await f.locator('#chart-daily').count().catch(() => 0)) {
          return f;
        }
      }
      return undefined;
    }, { timeoutMs: 20000, intervalMs: 300 });
    const bars = await frame.locator('#chart-daily g.day').count();
    const daysWithUse = (await frame.locator('#days tr').allInnerTexts())
      .filter((row) => /^\d{4}-/.test(row) && !/^\S+\s+0\b/.test(row)).length;
    assert.ok(bars >= 2, `several days with use: ${bars}`);
    assert.equal(bars, daysWithUse, 'one bar per day with requests in the table');
    assert.equal(await frame.locator('#chart-grant polyline.forecast').count(), 1);
    await shot('04-usage-chart');
    await page.keyboard.press('Control+W');
  });

  it('the Get Started walkthrough opens with its four steps', async () => {
    await page.keyboard.press('Escape');
    await runCommand('Welcome: Open Walkthrough...');
    const input = page.locator('.quick-input-widget input.input');
    await input.fill('DeepSeek');
    await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Get started with DeepSeek FIM' }).first().waitFor();
    await page.keyboard.press('Enter');
    const steps = page.locator('.getting-started-step');
    await waitFor('the walkthrough steps', async () => (await steps.count()) >= 4, { timeoutMs: 20000 });
    const titles = (await steps.allInnerTexts()).join('\n');
    for (const title of ['Get a DeepSeek API key', 'Set the key', 'See the grant in the status bar', 'What the states mean']) {
      assert.ok(titles.includes(title), `step "${title}" in: ${titles}`);
    }
    await shot('03-walkthrough');
  });
});
