// Starts, restarts and stops the language server, and routes its custom messages.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type ConfigurationParams,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { BUDGET_NOTIFICATION, SECTION, STATUS_REQUEST, type BudgetPayload, type StatusPayload } from './protocol';
import type { ApiKeyStore } from './secrets';
import {
  parseProbe,
  PROBE_CODE,
  resolveServerCommand,
  ServerNotFound,
  startFailureMessage,
  type PythonInfo,
  type ServerCommand,
} from './serverCommand';
import { toInitializationOptions, toServerSettings } from './settings';
import type { StatusBar } from './statusBar';

function isFile(path: string): boolean {
  try {
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Run `python -c PROBE_CODE` (5 s at most); undefined when it does not run or is no Python. */
function probePython(command: string[]): Promise<PythonInfo | undefined> {
  const [exe, ...args] = command;
  if (!exe) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    execFile(exe, [...args, '-c', PROBE_CODE], { timeout: 5000, windowsHide: true }, (error, stdout) => {
      resolve(error ? undefined : parseProbe(stdout));
    });
  });
}

/** The parts of the Python extension's API (ms-python.python) used here. */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } };
}

/** The interpreter selected in the Python extension, when it is installed; never throws. */
async function pythonExtensionInterpreter(): Promise<string[] | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (api.environments) {
      const env = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource));
      const exe = env?.executable?.uri?.fsPath;
      if (exe) {
        return [exe];
      }
    }
    const command = api.settings?.getExecutionDetails(resource).execCommand;
    return command && command.length > 0 ? command : undefined;
  } catch {
    return undefined;
  }
}

function configFor(scopeUri: string | undefined): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scopeUri ? vscode.Uri.parse(scopeUri) : undefined);
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private apiKey: string | undefined;
  /** Start/stop/restart run one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private readonly budgetEmitter = new vscode.EventEmitter<BudgetPayload>();
  readonly onDidReceiveBudget = this.budgetEmitter.event;

  constructor(
    /** The extension's own directory (its `bundled/libs` carries the server). */
    private readonly extensionPath: string,
    private readonly output: vscode.LogOutputChannel,
    private readonly keys: ApiKeyStore,
    private readonly statusBar: StatusBar,
  ) {}

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  /** Ask the server for the budget with the session stats and the per-day table. */
  async status(): Promise<StatusPayload | undefined> {
    if (!this.client || !this.running) {
      return undefined;
    }
    return this.client.sendRequest<StatusPayload>(STATUS_REQUEST, {});
  }

  /** Tell the server that settings changed; it answers workspace/configuration through our middleware. */
  async pushSettings(): Promise<void> {
    if (!this.client || !this.running) {
      return;
    }
    await this.client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { [SECTION]: toServerSettings(configFor(undefined), this.apiKey) },
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    // Errors are logged here, so callers may fire and forget.
    this.queue = this.queue.then(step).catch((error: unknown) => {
      this.output.error(`DeepSeek FIM: ${String(error)}`);
      this.statusBar.showClientState('noServer', String(error));
    });
    return this.queue;
  }

  /** `bundled/libs` when this build of the extension carries the server. */
  private bundledLibs(): string | undefined {
    const libs = path.join(this.extensionPath, 'bundled', 'libs');
    return isFile(path.join(libs, 'deepseek_fim', '__init__.py')) ? libs : undefined;
  }

  private async resolveCommand(): Promise<ServerCommand> {
    const config = configFor(undefined);
    const command = config.get<string>('server.command') ?? '';
    const pythonPath = config.get<string>('server.pythonPath') ?? '';
    return resolveServerCommand({
      command,
      pythonPath,
      bundledLibs: this.bundledLibs(),
      // Only asked for when it matters: activating the Python extension takes a while.
      pythonExtension: command.trim() || pythonPath.trim() ? undefined : await pythonExtensionInterpreter(),
      workspaceFolders: (vscode.workspace.workspaceFolders ?? [])
        .filter((f) => f.uri.scheme === 'file')
        .map((f) => f.uri.fsPath),
      pathEnv: process.env.PATH ?? '',
      homeDir: os.homedir(),
      platform: process.platform,
      isFile,
      probe: probePython,
    });
  }

  private async doStart(): Promise<void> {
    this.statusBar.showClientState('starting');
    let cmd: ServerCommand;
    try {
      cmd = await this.resolveCommand();
    } catch (error) {
      if (error instanceof ServerNotFound) {
        this.reportNotFound(error.message, error.setting);
        return;
      }
      throw error;
    }
    this.output.info(`Starting ${cmd.command} ${cmd.args.join(' ')} (from ${cmd.source})`);
    if (cmd.source === 'bundled') {
      this.output.info(`The server that comes with the extension, run by ${cmd.command}`);
    }
    this.apiKey = await this.keys.get();
    const serverOptions: ServerOptions = {
      run: { command: cmd.command, args: cmd.args, options: { env: { ...process.env, PYTHONUNBUFFERED: '1' } } },
      debug: { command: cmd.command, args: cmd.args, options: { env: { ...process.env, PYTHONUNBUFFERED: '1' } } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: toInitializationOptions(configFor(undefined), this.apiKey),
      connectionOptions: { maxRestartCount: 4 },
      middleware: {
        workspace: {
          configuration: (params, token, next) => this.answerConfiguration(params, token, next),
        },
      },
    };
    const client = new LanguageClient('deepseekFim', 'DeepSeek FIM', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      // Enables Resume / Refresh Balance, which the server itself provides (executeCommandProvider).
      void vscode.commands.executeCommand('setContext', 'deepseekFim.serverRunning', e.newState === State.Running);
      if (e.newState === State.Stopped && this.client === client) {
        this.statusBar.showClientState('noServer', 'The server stopped. See "DeepSeek FIM: Show Logs", then run "DeepSeek FIM: Restart Server".');
      }
    });
    client.onNotification(BUDGET_NOTIFICATION, (payload: BudgetPayload) => {
      this.output.debug(`${BUDGET_NOTIFICATION}: ${payload.state} "${payload.text}"`);
      this.statusBar.showBudget(payload);
      this.budgetEmitter.fire(payload);
    });
    try {
      await client.start();
    } catch (error) {
      const message = startFailureMessage(cmd, error instanceof Error ? error.message : String(error));
      this.reportNotFound(message, cmd.source === 'pythonPath' ? 'deepseekFim.server.pythonPath' : 'deepseekFim.server.command');
      return;
    }
    try {
      const status = await client.sendRequest<StatusPayload>(STATUS_REQUEST, {});
      // A budget notification that arrived meanwhile is newer than this answer.
      if (status && !this.statusBar.budget) {
        this.statusBar.showBudget(status);
      }
    } catch (error) {
      this.output.warn(`${STATUS_REQUEST} failed: ${String(error)}`);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.warn(`Stopping the server: ${String(error)}`);
      }
      await client.dispose().catch(() => undefined);
    }
  }

  private async answerConfiguration(
    params: ConfigurationParams,
    token: vscode.CancellationToken,
    next: (params: ConfigurationParams, token: vscode.CancellationToken) => unknown,
  ): Promise<unknown[]> {
    const defaults = (await next(params, token)) as unknown[];
    return params.items.map((item, i) =>
      item.section === SECTION ? toServerSettings(configFor(item.scopeUri), this.apiKey) : defaults[i],
    );
  }

  private reportNotFound(message: string, setting: string): void {
    this.output.error(message);
    this.statusBar.showClientState('noServer', message);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Logs').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', setting);
      } else if (choice === 'Show Logs') {
        this.output.show();
      }
    });
  }

  dispose(): void {
    void this.doStop();
    this.budgetEmitter.dispose();
  }
}
