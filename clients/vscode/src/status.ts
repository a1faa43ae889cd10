// What the status bar item shows for each state. Pure: no `vscode` import.
import type { BudgetKind, BudgetPayload, BudgetState } from './protocol';

/** States of the client itself, before or without a server. */
export type ClientState = 'starting' | 'noServer' | 'stopped';

export type Background = 'warning' | 'error' | undefined;

export interface StatusView {
  /** Status bar text, with a `$(codicon)` prefix. */
  text: string;
  /** Markdown for the tooltip. */
  tooltip: string;
  background: Background;
  /** The command run on click. */
  command: string;
  /** For accessibility readers. */
  ariaLabel: string;
}

interface Look {
  icon: string;
  background: Background;
}

const LOOKS: Record<BudgetState, Look> = {
  ok: { icon: 'sparkle', background: undefined },
  low: { icon: 'warning', background: 'warning' },
  exhausted: { icon: 'error', background: 'error' },
  expired: { icon: 'history', background: 'error' },
  noKey: { icon: 'key', background: 'warning' },
  authFailed: { icon: 'key', background: 'error' },
  throttled: { icon: 'watch', background: 'warning' },
  offline: { icon: 'cloud-offline', background: 'warning' },
  disabled: { icon: 'circle-slash', background: undefined },
  excluded: { icon: 'eye-closed', background: undefined },
};

const KIND_BACKGROUND: Record<BudgetKind, Background> = {
  Normal: undefined,
  Warning: 'warning',
  Error: 'error',
  Inactive: undefined,
};

export const SHOW_USAGE_COMMAND = 'deepseekFim.showUsage';
export const SET_KEY_COMMAND = 'deepseekFim.setApiKey';
export const SHOW_LOGS_COMMAND = 'deepseekFim.showLogs';

/** Look of a state; an unknown state (a newer server) falls back to the payload's `kind`. */
export function lookOf(state: string, kind: BudgetKind | undefined): Look {
  const known = (LOOKS as Record<string, Look | undefined>)[state];
  if (known) {
    return known;
  }
  return { icon: 'sparkle', background: kind ? KIND_BACKGROUND[kind] : undefined };
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`);
}

/** The status bar item for a `deepseekFim/budget` (or `deepseekFim/status`) payload. */
export function presentBudget(payload: BudgetPayload): StatusView {
  const look = lookOf(payload.state, payload.kind);
  const text = payload.text?.trim() || `DeepSeek ${payload.state}`;
  const lines = [`**DeepSeek FIM** — ${escapeMarkdown(payload.state)}`, ''];
  if (payload.tooltip) {
    lines.push(...payload.tooltip.split('\n').map((line) => escapeMarkdown(line) + '  '));
  }
  if (payload.message) {
    lines.push('', `**${escapeMarkdown(payload.message)}**`);
  }
  const needsKey = payload.state === 'noKey' || payload.state === 'authFailed';
  lines.push('', needsKey ? 'Click to set the API key.' : 'Click for the usage details.');
  return {
    text: `$(${look.icon}) ${text}`,
    tooltip: lines.join('\n'),
    background: look.background ?? (payload.kind ? KIND_BACKGROUND[payload.kind] : undefined),
    command: needsKey ? SET_KEY_COMMAND : SHOW_USAGE_COMMAND,
    ariaLabel: `${text} (${payload.state}). ${payload.message ?? ''}`.trim(),
  };
}

/** The status bar item while there is no budget from a server. */
export function presentClientState(state: ClientState, detail?: string): StatusView {
  switch (state) {
    case 'starting':
      return {
        text: '$(loading~spin) DeepSeek',
        tooltip: '**DeepSeek FIM** — starting the language server…',
        background: undefined,
        command: SHOW_LOGS_COMMAND,
        ariaLabel: 'DeepSeek FIM is starting',
      };
    case 'noServer':
      return {
        text: '$(error) DeepSeek: no server',
        tooltip: `**DeepSeek FIM** — the language server is not running.\n\n${escapeMarkdown(
          detail ?? 'See the logs.',
        )}\n\nClick to show the logs.`,
        background: 'error',
        command: SHOW_LOGS_COMMAND,
        ariaLabel: 'DeepSeek FIM: no server',
      };
    case 'stopped':
      return {
        text: '$(debug-stop) DeepSeek: stopped',
        tooltip: '**DeepSeek FIM** — the language server was stopped. Run *DeepSeek FIM: Restart Server*.',
        background: 'warning',
        command: 'deepseekFim.restartServer',
        ariaLabel: 'DeepSeek FIM: stopped',
      };
  }
}
