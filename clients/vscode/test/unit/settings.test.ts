import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg from '../../package.json';
import { toInitializationOptions, toServerSettings, toggleLanguage, validateApiKey, type ConfigReader } from '../../src/settings';

/** A ConfigReader over VS Code's dotted keys, like WorkspaceConfiguration.get. */
function reader(values: Record<string, unknown>): ConfigReader {
  return { get: (key) => values[key] };
}

// The defaults as VS Code returns them for an untouched configuration (package.json).
function contributedDefaults(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(pkg.contributes.configuration.properties)) {
    out[key.replace(/^deepseekFim\./, '')] = schema.default;
  }
  return out;
}

test('defaults map to the server settings without empty strings, client-only keys or a key', () => {
  const settings = toServerSettings(reader(contributedDefaults()), undefined);
  assert.deepEqual(settings, {
    enabled: true,
    disabledLanguages: [],
    exclude: ['.env*', '*.pem', '*.key', 'id_rsa*', '*secret*', '*credential*'],
    model: 'auto',
    debounceMs: 250,
    prefixTokens: 512,
    suffixTokens: 256,
    contextTokens: 800,
    contextFromDisk: true,
    maxTokensLine: 48,
    maxTokensBlock: 192,
    temperature: 0,
    requestTimeoutMs: 10000,
    budgetDiagnostic: false,
    pace: 'auto',
    prefetch: false,
    grant: { currency: 'USD', tokens: 5000000, days: 30 },
    editorDelayMs: 50,
  });
});

test('contributed settings cover every server setting of architecture.md except apiKey', () => {
  const keys = Object.keys(contributedDefaults());
  for (const key of [
    'baseUrl', 'dataDir', 'model', 'enabled', 'disabledLanguages', 'exclude', 'debounceMs', 'prefixTokens',
    'suffixTokens', 'contextTokens', 'contextFromDisk', 'maxTokensLine', 'maxTokensBlock', 'temperature', 'requestTimeoutMs', 'grant.tokens',
    'grant.amount', 'grant.currency', 'grant.startDate', 'grant.days', 'prices', 'budgetDiagnostic', 'pace', 'prefetch', 'server.command', 'server.pythonPath',
  ]) {
    assert.ok(keys.includes(key), `missing deepseekFim.${key}`);
  }
  assert.ok(!keys.includes('apiKey'), 'the key must not be a setting');
});

test('every contributed setting has a markdownDescription and a scope', () => {
  const properties: Record<string, { markdownDescription?: string; scope?: string }> =
    pkg.contributes.configuration.properties;
  for (const [key, schema] of Object.entries(properties)) {
    assert.ok(schema.markdownDescription && schema.markdownDescription.length > 20, `${key} description`);
    assert.ok(schema.scope, `${key} scope`);
  }
});

test('set values pass through, trimmed; the key is added from secret storage', () => {
  const values = {
    ...contributedDefaults(),
    baseUrl: ' http://127.0.0.1:8080 ',
    dataDir: '/tmp/ledger',
    debounceMs: 0,
    'grant.startDate': '2026-11-20',
    'grant.amount': ' 12.50 ',
    prices: { 'deepseek-chat': { hit: 0.07, miss: 0.27, output: 1.1, currency: 'USD' } },
    'server.command': '/opt/ls',
  };
  const settings = toServerSettings(reader(values), ' sk-fake-test-key ');
  assert.equal(settings.baseUrl, 'http://127.0.0.1:8080');
  assert.equal(settings.dataDir, '/tmp/ledger');
  assert.equal(settings.debounceMs, 0, 'zero is a value, not "unset"');
  assert.deepEqual(settings.grant, {
    amount: '12.50',
    currency: 'USD',
    tokens: 5000000,
    startDate: '2026-11-20',
    days: 30,
  });
  assert.deepEqual(settings.prices, values.prices);
  assert.equal(settings.apiKey, 'sk-fake-test-key');
  assert.ok(!('server' in settings) && !('server.command' in settings), 'client-only settings stay in the client');
});

test('an empty or blank key is left out so the environment can supply one', () => {
  assert.ok(!('apiKey' in toServerSettings(reader({}), '')));
  assert.ok(!('apiKey' in toServerSettings(reader({}), '   ')));
  assert.deepEqual(toServerSettings(reader({}), undefined), { editorDelayMs: 50 });
});

test('VS Code\'s own 50 ms inline-suggest wait is always declared, so the server takes it off its own', () => {
  assert.equal(toServerSettings(reader({ debounceMs: 0 }), undefined).editorDelayMs, 50);
  assert.equal(toServerSettings(reader(contributedDefaults()), 'sk-fake-test-key').editorDelayMs, 50);
});

test('initializationOptions nest the settings under deepseekFim', () => {
  const options = toInitializationOptions(reader({ enabled: false }), 'sk-fake-test-key');
  assert.deepEqual(options, { deepseekFim: { enabled: false, editorDelayMs: 50, apiKey: 'sk-fake-test-key' } });
});

test('toggleLanguage adds a missing language and removes a present one without mutating', () => {
  const start = ['markdown'];
  assert.deepEqual(toggleLanguage(start, 'python'), ['markdown', 'python']);
  assert.deepEqual(toggleLanguage(['markdown', 'python'], 'python'), ['markdown']);
  assert.deepEqual(start, ['markdown']);
});

test('validateApiKey accepts a plausible key and explains what is wrong otherwise', () => {
  assert.equal(validateApiKey('sk-fake-test-key'), undefined);
  assert.match(validateApiKey('') ?? '', /Paste/);
  assert.match(validateApiKey('sk-fake test') ?? '', /spaces/);
  assert.match(validateApiKey('sk-1') ?? '', /short/);
});
