// Entry point: wires the modules together and nothing else.
import * as vscode from 'vscode';
import { BlankLineTrigger } from './blankLineTrigger';
import { ServerController } from './client';
import { registerCommands } from './commands';
import { SECTION } from './protocol';
import { ApiKeyStore } from './secrets';
import { RESTART_KEYS } from './settings';
import { StatusBar } from './statusBar';
import { UsageView } from './usageView';

let server: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('DeepSeek FIM', { log: true });
  const keys = new ApiKeyStore(context.secrets);
  const statusBar = new StatusBar();
  const usage = new UsageView();
  server = new ServerController(context.extensionPath, output, keys, statusBar);
  const controller = server;
  context.subscriptions.push(
    output,
    keys,
    statusBar,
    usage,
    controller,
    new BlankLineTrigger(),
    ...registerCommands({ server: controller, keys, usage, output }),
    keys.onDidChange(() => void controller.restart()),
    controller.onDidReceiveBudget(() => {
      if (!usage.isOpen) {
        return;
      }
      void controller.status().then((status) => status && usage.update(status), () => undefined);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((key) => e.affectsConfiguration(`${SECTION}.${key}`))) {
        void controller.restart();
      } else if (e.affectsConfiguration(SECTION)) {
        void controller.pushSettings();
      }
    }),
  );
  await controller.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
