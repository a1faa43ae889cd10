import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BudgetKind, BudgetPayload, BudgetState } from '../../src/protocol';
import { presentBudget, presentClientState, SET_KEY_COMMAND, SHOW_LOGS_COMMAND, SHOW_USAGE_COMMAND } from '../../src/status';

function payload(state: BudgetState, kind: BudgetKind, extra: Partial<BudgetPayload> = {}): BudgetPayload {
  return {
    state,
    kind,
    text: `DeepSeek ${state} $8.37 ≈67M tok · 23d`,
    tooltip: 'Money left: 8.37 USD of 8.40 (99.6%)\nTokens left: ≈67M at your mix of the last 7 days',
    message: null,
    ...extra,
  };
}

const cases: [BudgetState, BudgetKind, string, 'warning' | 'error' | undefined][] = [
  ['ok', 'Normal', 'sparkle', undefined],
  ['low', 'Warning', 'warning', 'warning'],
  ['exhausted', 'Error', 'error', 'error'],
  ['expired', 'Error', 'history', 'error'],
  ['noKey', 'Warning', 'key', 'warning'],
  ['authFailed', 'Error', 'key', 'error'],
  ['throttled', 'Warning', 'watch', 'warning'],
  ['offline', 'Warning', 'cloud-offline', 'warning'],
  ['disabled', 'Inactive', 'circle-slash', undefined],
  ['excluded', 'Inactive', 'eye-closed', undefined],
];

for (const [state, kind, icon, background] of cases) {
  test(`state ${state}: icon ${icon}, background ${background ?? 'none'}, text from the payload`, () => {
    const view = presentBudget(payload(state, kind));
    assert.equal(view.text, `$(${icon}) DeepSeek ${state} $8.37 ≈67M tok · 23d`);
    assert.equal(view.background, background);
    assert.match(view.tooltip, /Money left: 8\.37 USD of 8\.40 \(99\.6%\) {2}\nTokens left: ≈67M at your mix/);
    assert.match(view.tooltip, new RegExp(`— ${state}`));
    assert.ok(view.ariaLabel.startsWith(`DeepSeek ${state} $8.37 ≈67M tok · 23d (${state})`), view.ariaLabel);
  });
}

test('states that need a key open Set API Key on click; others open the usage view', () => {
  assert.equal(presentBudget(payload('noKey', 'Warning')).command, SET_KEY_COMMAND);
  assert.equal(presentBudget(payload('authFailed', 'Error')).command, SET_KEY_COMMAND);
  assert.equal(presentBudget(payload('ok', 'Normal')).command, SHOW_USAGE_COMMAND);
  assert.equal(presentBudget(payload('exhausted', 'Error')).command, SHOW_USAGE_COMMAND);
});

test('the message of a state that needs action is in the tooltip, markdown escaped', () => {
  const view = presentBudget(payload('exhausted', 'Error', { message: 'Top up at platform.deepseek.com <now>' }));
  assert.match(view.tooltip, /\*\*Top up at platform\.deepseek\.com \\<now\\>\*\*/);
  assert.match(view.ariaLabel, /Top up/);
});

test('an unknown state from a newer server takes its colour from kind', () => {
  const view = presentBudget(payload('somethingNew' as BudgetState, 'Error'));
  assert.equal(view.background, 'error');
  assert.match(view.text, /^\$\(sparkle\) /);
});

test('an empty text falls back to the state name', () => {
  assert.equal(presentBudget(payload('ok', 'Normal', { text: '' })).text, '$(sparkle) DeepSeek ok');
});

test('client states: starting spins, no server is an error that opens the logs', () => {
  assert.match(presentClientState('starting').text, /loading~spin/);
  const none = presentClientState('noServer', 'deepseek-fim-ls was not found');
  assert.equal(none.text, '$(error) DeepSeek: no server');
  assert.equal(none.background, 'error');
  assert.equal(none.command, SHOW_LOGS_COMMAND);
  assert.match(none.tooltip, /deepseek-fim-ls was not found/);
});
