// The commands of the palette.
import * as vscode from 'vscode';
import type { ServerController } from './client';
import { SECTION } from './protocol';
import type { ApiKeyStore } from './secrets';
import { toggleLanguage, validateApiKey } from './settings';
import type { UsageView } from './usageView';

export interface CommandDeps {
  server: ServerController;
  keys: ApiKeyStore;
  usage: UsageView;
  output: vscode.LogOutputChannel;
}

async function setApiKey({ keys }: CommandDeps): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'DeepSeek FIM: Set API Key',
    prompt: 'Your DeepSeek API key. It is kept in VS Code\'s secret storage, never in settings.json.',
    placeHolder: 'sk-…',
    password: true,
    ignoreFocusOut: true,
    validateInput: validateApiKey,
  });
  if (key === undefined) {
    return;
  }
  await keys.set(key);
  void vscode.window.showInformationMessage('DeepSeek FIM: API key saved in secret storage.');
}

async function clearApiKey({ keys }: CommandDeps): Promise<void> {
  await keys.clear();
  void vscode.window.showInformationMessage('DeepSeek FIM: API key removed from secret storage.');
}

async function setEnabled(enabled: boolean): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('enabled', enabled, vscode.ConfigurationTarget.Global);
}

async function toggleCurrentLanguage(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showWarningMessage('DeepSeek FIM: open a file of the language to enable or disable.');
    return;
  }
  const languageId = editor.document.languageId;
  const config = vscode.workspace.getConfiguration(SECTION);
  const current = config.get<string[]>('disabledLanguages') ?? [];
  const next = toggleLanguage(current, languageId);
  await config.update('disabledLanguages', next, vscode.ConfigurationTarget.Global);
  const now = next.includes(languageId) ? 'disabled' : 'enabled';
  void vscode.window.showInformationMessage(`DeepSeek FIM: completions ${now} for ${languageId}.`);
}

async function showUsage({ server, usage }: CommandDeps): Promise<void> {
  if (!server.running) {
    void vscode.window.showWarningMessage(
      'DeepSeek FIM: the language server is not running, so there is no usage to show. See "DeepSeek FIM: Show Logs".',
    );
    return;
  }
  const status = await server.status();
  if (status) {
    usage.show(status);
  }
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const table: Record<string, () => Promise<void> | void> = {
    'deepseekFim.setApiKey': () => setApiKey(deps),
    'deepseekFim.clearApiKey': () => clearApiKey(deps),
    'deepseekFim.enable': () => setEnabled(true),
    'deepseekFim.disable': () => setEnabled(false),
    'deepseekFim.toggleLanguage': toggleCurrentLanguage,
    'deepseekFim.showUsage': () => showUsage(deps),
    'deepseekFim.showLogs': () => deps.output.show(),
    'deepseekFim.restartServer': () => deps.server.restart(),
  };
  return Object.entries(table).map(([id, run]) =>
    vscode.commands.registerCommand(id, async () => {
      try {
        await run();
      } catch (error) {
        deps.output.error(`${id}: ${String(error)}`);
        void vscode.window.showErrorMessage(`DeepSeek FIM: ${id} failed: ${String(error)}`);
      }
    }),
  );
}
