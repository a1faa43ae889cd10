// A typist in real VS Code (code-server): types one region of a file, as bench/bench_vscode_pauses.py
// plans it, and reports what it saw at every pause. Run by that benchmark, not by hand:
//   node clients/vscode/bench/type_region.mjs PLAN.json RESULT.json
// The plan carries the fake DeepSeek API's URL (the benchmark serves it), the file, the region and,
// for every offset of the region, the key to type there, the gap before it (after a key and after
// an accept) and the oracle's wrong answer there. The result: the pauses (ghost text on screen at
// the end of each, right or not, and how long after the last key it appeared), the accepts, every
// key's time on CLOCK_MONOTONIC (as Python's time.monotonic()) with the offset after it, and the
// saved file.
//
// Times of keys and ghost text are both taken in the page (performance.now()): a key when the
// page sees its keydown or input event, ghost text when a DOM mutation makes it visible.
import { readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  SERVER_COMMAND, installVsix, launchBrowser, makeSandbox, sleep, startCodeServer, waitFor, writeUserSettings,
} from '../test/e2e/harness.mjs';

/** Seconds on CLOCK_MONOTONIC (libuv's hrtime), comparable with Python's time.monotonic(). */
const monotonic = () => Number(process.hrtime.bigint()) / 1e9;

/** Settings that keep VS Code from typing anything the typist did not (brackets, indentation, suggestions). */
const EDITOR_SETTINGS = {
  'files.hotExit': 'off',
  'files.autoSave': 'off',
  'files.insertFinalNewline': false,
  'files.trimTrailingWhitespace': false,
  'files.trimFinalNewlines': false,
  'editor.autoIndent': 'none',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoClosingOvertype': 'never',
  'editor.autoSurround': 'never',
  'editor.formatOnType': false,
  'editor.detectIndentation': false,
  'editor.insertSpaces': true,
  'editor.tabSize': 4,
  'editor.inlineSuggest.enabled': true,
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
  'editor.parameterHints.enabled': false,
  'editor.hover.enabled': false,
  'editor.minimap.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
};

/**
 * Installed in the page: the last key's time, and the ghost text on screen with the time it
 * appeared. The inline part is `.ghost-text-decoration` on the cursor's line; further lines are
 * the `.suggest-preview-text` view zone below it.
 */
function instrumentPage() {
  const state = { text: null, since: 0, lastKey: 0, keys: 0 };
  const ghostText = () => {
    const editor = document.querySelector('.editor-instance .monaco-editor');
    if (!editor) {
      return null;
    }
    const inline = [...editor.querySelectorAll('.ghost-text-decoration')].map((e) => e.textContent).join('');
    const lines = [...editor.querySelectorAll('.suggest-preview-text .view-line')].map((e) => e.textContent);
    const text = [inline, ...lines].join('\n').replace(/\u00a0/g, ' ');
    return inline === '' && lines.length === 0 ? null : text;
  };
  const onKey = () => {
    state.lastKey = performance.now();
    state.keys += 1;
  };
  document.addEventListener('keydown', onKey, true);
  // Text typed with Input.insertText (a line break with its indentation) has no keydown.
  document.addEventListener('input', () => {
    state.lastKey = performance.now();
  }, true);
  const observer = new MutationObserver(() => {
    const text = ghostText();
    if (text !== state.text) {
      state.text = text;
      state.since = performance.now();
    }
  });
  observer.observe(document.querySelector('.monaco-workbench'), { subtree: true, childList: true, characterData: true });
  window.__benchState = () => ({ ...state, now: performance.now() });
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

async function statusLabel(page) {
  return (await page.locator('.statusbar-item').filter({ hasText: /DeepSeek/ }).first().getAttribute('aria-label')) ?? '';
}

/** "Ln R, Col C" of the status bar as [row, col], 1-based. */
async function cursor(page) {
  const text = await page.locator('#status\\.editor\\.selection').innerText();
  const match = /Ln (\d+), Col (\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Where the cursor is after `text` (1-based row and column, as the status bar shows it). */
function cursorAfter(text) {
  const row = text.split('\n').length;
  return [row, text.length - text.lastIndexOf('\n')];
}

async function openAtLine(page, name, line) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active:has-text("${name}")`).waitFor();
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
  await page.keyboard.press('Home');
  await page.keyboard.press('Home'); // the first Home may stop at the indentation
  await waitFor('the cursor at the region', async () => {
    const at = await cursor(page);
    return at && at[0] === line && at[1] === 1;
  }, { timeoutMs: 5000 }).catch(async (error) => {
    throw new Error(`${error.message}; the cursor is at ${await cursor(page)}, expected ${line},1`);
  });
}

/** Type one key event: a character, or a line break with the next line's indentation at once. */
async function typeEvent(page, event) {
  if (event.length === 1 && event !== '\n') {
    await page.keyboard.type(event);
  } else {
    await page.keyboard.insertText(event);
  }
}

// The start of `text` up to the end of its `count`-th line with content (the fake's first_lines).
function firstLines(text, count) {
  if (count <= 0) {
    return text;
  }
  const lines = text.split('\n');
  let seen = 0;
  for (let index = 0; index < lines.length; index++) {
    if (lines[index].trim() !== '') {
      seen += 1;
      if (seen === count) {
        return lines.slice(0, index + 1).join('\n');
      }
    }
  }
  return text;
}

// The ghost's right first lines as Accept Next Line takes them (each up to and with its line
// break), ending with one that has content; none when the first is wrong.
function rightLines(ghost, rest) {
  const parts = ghost.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const taken = [];
  let length = 0;
  for (const part of parts) {
    if (!rest.startsWith(ghost.slice(0, length + part.length))) {
      break;
    }
    taken.push(part);
    length += part.length;
  }
  while (taken.length > 0 && taken.at(-1).trim() === '') {
    taken.pop();
  }
  return taken;
}

async function restShown(stateOf) {
  try {
    await waitFor('the rest shown', async () => {
      const state = await stateOf();
      return typeof state.text === 'string' && state.text !== '';
    }, { timeoutMs: 1000, intervalMs: 20 });
    return true;
  } catch {
    return false;
  }
}

async function typeRegion(page, plan, result) {
  const { text, before } = plan;
  const stateOf = () => page.evaluate(() => window.__benchState());
  let offset = 0;
  let afterAccept = false;
  const started = monotonic();
  let lastKey = started;
  while (offset < text.length) {
    const rest = text.slice(offset);
    const gap = afterAccept ? plan.gapAccept[offset] : plan.gapKey[offset];
    const wait = lastKey + gap - monotonic();
    if (wait > 0) {
      await sleep(wait * 1000);
    }
    if (gap >= plan.pauseS) {
      const state = await stateOf();
      const ghost = typeof state.text === 'string' && state.text !== '' ? state.text : null;
      const correct = ghost !== null && rest.startsWith(ghost);
      // A ghost for this place starts with the oracle's first lines here, right or wrong (either
      // possibly cut short by the server), not an older suggestion the editor still shows.
      const first = ghost === null ? '' : firstLines(ghost, plan.oracleLines);
      const here = correct || (first !== '' && [plan.right[offset], plan.wrong[offset]].some(
        (unit) => unit !== '' && (unit.startsWith(first) || first.startsWith(unit))));
      const latencyMs = here ? Math.max(0, state.since - state.lastKey) : null;
      // All right: Tab. Only the first lines right: they are accepted one at a time with the
      // extension's Ctrl+Alt+Right (VS Code's Accept Next Line), each seen to land and the rest
      // shown; so is a right one at a line's start that starts with indentation, where VS
      // Code's Tab indents instead (after a line taken with its line break).
      const atLineStart = /(^|\n)$/.test(before + text.slice(0, offset));
      const byLine = ghost !== null && (!correct || (atLineStart && /^[ \t]/.test(ghost)));
      const parts = byLine ? rightLines(ghost, rest) : correct ? [ghost] : [];
      result.pauses.push({ gap_s: gap, ghost: ghost !== null, correct: correct || parts.length > 0, latency_ms: latencyMs, offset, ghost_text: ghost });
      if (parts.length > 0) {
        let landed = true;
        for (const [index, part] of parts.entries()) {
          const at = monotonic();
          await page.keyboard.press(byLine ? 'Control+Alt+ArrowRight' : 'Tab');
          lastKey = monotonic();
          offset += part.length;
          result.keys.push({ t: at, offset, accept: true });
          const expected = cursorAfter(before + text.slice(0, offset));
          try {
            await waitFor('the accepted text', async () => {
              const at = await cursor(page);
              return at && at[0] === expected[0] && at[1] === expected[1];
            }, { timeoutMs: 2000, intervalMs: 20 });
          } catch {
            result.problems.push(`accept did not land (${plan.name}:${offset}): cursor ${await cursor(page)}, expected ${expected}`);
            landed = false;
            break;
          }
          result.accepted_chars += part.length;
          if (index + 1 < parts.length && !(await restShown(stateOf))) {
            break; // the rest is not shown: typed by hand
          }
        }
        if (!landed) {
          break;
        }
        result.accepts += 1;
        afterAccept = true;
        continue;
      }
    }
    const event = plan.events[offset];
    const at = monotonic();
    await typeEvent(page, event);
    lastKey = monotonic();
    result.typed_keys += 1;
    offset += event.length;
    result.keys.push({ t: at, offset, accept: false });
    afterAccept = false;
  }
  result.typing_s = lastKey - started;
}

async function main() {
  const [planPath, resultPath] = process.argv.slice(2);
  const plan = JSON.parse(readFileSync(planPath, 'utf8'));
  const result = {
    pauses: [], accepts: 0, accepted_chars: 0, typed_keys: 0, typing_s: 0, keys: [], problems: [],
    saved: null, setup_s: 0,
  };
  const t0 = monotonic();
  const sandbox = makeSandbox();
  const path = join(sandbox.workspace, plan.fileName);
  writeFileSync(path, plan.fileText);
  // Project files beside it (the modules it imports), not opened: the server may read them.
  for (const [name, text] of Object.entries(plan.projectFiles ?? {})) {
    mkdirSync(dirname(join(sandbox.workspace, name)), { recursive: true });
    writeFileSync(join(sandbox.workspace, name), text);
  }
  writeUserSettings(sandbox, {
    ...EDITOR_SETTINGS,
    'deepseekFim.baseUrl': plan.fakeUrl,
    'deepseekFim.server.command': plan.serverCommand ?? SERVER_COMMAND,
    'deepseekFim.dataDir': sandbox.ledger,
    ...plan.settings,
  });
  let codeServer;
  let browser;
  try {
    await installVsix(sandbox);
    codeServer = await startCodeServer(sandbox);
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${codeServer.url}/?folder=${encodeURIComponent(sandbox.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await waitFor('the server to start (no key yet)', async () => (await statusLabel(page)).includes('(noKey)'), { timeoutMs: 60000 });
    await runCommand(page, 'DeepSeek FIM: Set API Key');
    const box = page.locator('.quick-input-widget input[type="password"]');
    await box.waitFor({ state: 'visible' });
    await box.fill(plan.apiKey);
    await page.keyboard.press('Enter');
    await waitFor('the server to be ready with the key', async () => (await statusLabel(page)).includes('(ok)'), { timeoutMs: 30000 });
    // Installed first, so that the pause at the region's start counts from the last key that
    // brought the cursor there (a ghost there comes from the extension's rest trigger).
    await page.evaluate(instrumentPage);
    await openAtLine(page, plan.fileName, plan.startLine);
    result.setup_s = monotonic() - t0;
    await typeRegion(page, plan, result);
    await sleep(300);
    await page.keyboard.press('Escape'); // a ghost still on screen must not be saved
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10000 }).catch(() => undefined);
    result.saved = readFileSync(path, 'utf8');
    if (plan.artifacts) {
      mkdirSync(plan.artifacts, { recursive: true });
      await page.screenshot({ path: join(plan.artifacts, `${plan.fileName}.png`) });
    }
  } catch (error) {
    result.problems.push(`the run failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await codeServer?.stop();
    if (!process.env.KEEP_E2E_SANDBOX) {
      rmSync(sandbox.root, { recursive: true, force: true });
    }
  }
  writeFileSync(resultPath, JSON.stringify(result));
}

await main();
