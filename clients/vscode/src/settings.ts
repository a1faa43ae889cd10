// VS Code configuration -> the server's `deepseekFim` settings object. Pure: no `vscode` import.

/** What the extension reads from `workspace.getConfiguration('deepseekFim')`. */
export interface ConfigReader {
  get(key: string): unknown;
}

/** The settings object sent to the server (camelCase, docs/architecture.md "Settings"). */
export type ServerSettings = Record<string, unknown>;

/** Keys passed to the server as they are, when set. */
const PASSED_KEYS = [
  'enabled',
  'disabledLanguages',
  'exclude',
  'model',
  'debounceMs',
  'prefixTokens',
  'suffixTokens',
  'contextTokens',
  'contextFromDisk',
  'maxTokensLine',
  'maxTokensBlock',
  'temperature',
  'requestTimeoutMs',
  'budgetDiagnostic',
  'pace',
  'prefetch',
] as const;

/** Keys whose empty string means "let the server pick its default (environment, platform)". */
const OPTIONAL_STRING_KEYS = ['baseUrl', 'dataDir'] as const;

/**
 * What VS Code itself waits after a key before it asks an inline completion provider: a fixed
 * 50 ms in VS Code 1.100 (its "InlineCompletionsDebounce", min 50 = max 50; only a proposed API
 * changes it). The server takes it off its own wait, so that the two do not add up.
 */
export const EDITOR_DELAY_MS = 50;

/** Settings of the extension itself, changing any of which restarts the server. */
export const RESTART_KEYS = ['server.command', 'server.pythonPath'] as const;

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * Map the VS Code configuration and the key from SecretStorage to the server's settings.
 * Unset and empty values are left out so that the server's own precedence (environment,
 * defaults) applies; the key is left out when there is none, so `DEEPSEEK_API_KEY` still works.
 */
export function toServerSettings(config: ConfigReader, apiKey: string | undefined): ServerSettings {
  const out: ServerSettings = {};
  for (const key of PASSED_KEYS) {
    const value = config.get(key);
    if (!isEmpty(value)) {
      out[key] = value;
    }
  }
  for (const key of OPTIONAL_STRING_KEYS) {
    const value = config.get(key);
    if (typeof value === 'string' && value.trim() !== '') {
      out[key] = value.trim();
    }
  }
  const grant: Record<string, unknown> = {};
  for (const key of ['amount', 'currency', 'tokens', 'startDate', 'days']) {
    const value = config.get(`grant.${key}`);
    if (!isEmpty(value)) {
      grant[key] = typeof value === 'string' ? value.trim() : value;
    }
  }
  if (Object.keys(grant).length > 0) {
    out.grant = grant;
  }
  const prices = config.get('prices');
  if (prices !== null && typeof prices === 'object' && Object.keys(prices).length > 0) {
    out.prices = prices;
  }
  out.editorDelayMs = EDITOR_DELAY_MS;
  const key = apiKey?.trim();
  if (key) {
    out.apiKey = key;
  }
  return out;
}

/** The `initializationOptions` of the server: the settings under the `deepseekFim` section. */
export function toInitializationOptions(
  config: ConfigReader,
  apiKey: string | undefined,
): { deepseekFim: ServerSettings } {
  return { deepseekFim: toServerSettings(config, apiKey) };
}

/** Add the language to the disabled list, or remove it when it is there; returns a new list. */
export function toggleLanguage(disabled: readonly string[], languageId: string): string[] {
  return disabled.includes(languageId)
    ? disabled.filter((id) => id !== languageId)
    : [...disabled, languageId];
}

/** A message for the API key input box, or undefined when the value is acceptable. */
export function validateApiKey(value: string): string | undefined {
  const key = value.trim();
  if (key === '') {
    return 'Paste your DeepSeek API key (from platform.deepseek.com → API keys).';
  }
  if (/\s/.test(key)) {
    return 'An API key has no spaces in it.';
  }
  if (key.length < 8) {
    return 'This is too short for an API key.';
  }
  return undefined;
}
