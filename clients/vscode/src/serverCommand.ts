// How to start the language server, and what to tell the user when it cannot be found.
// Pure: the file system and PATH are passed in.

export const SERVER_NAME = 'deepseek-fim-ls';
const PYTHON_ENTRY = 'import sys; from deepseek_fim.lsp.main import main; sys.exit(main())';

export interface ServerCommandInput {
  /** `deepseekFim.server.command` */
  command: string;
  /** `deepseekFim.server.pythonPath` */
  pythonPath: string;
  /** Workspace folder paths, searched for a `.venv` holding the server. */
  workspaceFolders: readonly string[];
  /** The `PATH` environment variable. */
  pathEnv: string;
  homeDir: string;
  platform: NodeJS.Platform;
  /** True when the path is an existing file. */
  isFile: (path: string) => boolean;
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for the logs. */
  source: 'setting' | 'pythonPath' | 'PATH' | 'workspace venv' | 'user bin';
}

export class ServerNotFound extends Error {
  constructor(
    message: string,
    /** The setting that would fix it, to open from the error message. */
    readonly setting: string,
  ) {
    super(message);
    this.name = 'ServerNotFound';
  }
}

function join(platform: NodeJS.Platform, ...parts: string[]): string {
  const sep = platform === 'win32' ? '\\' : '/';
  return parts.map((p, i) => (i === 0 ? p.replace(/[\\/]+$/, '') : p.replace(/^[\\/]+|[\\/]+$/g, ''))).join(sep);
}

function hasSeparator(path: string): boolean {
  return path.includes('/') || path.includes('\\');
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home + path.slice(1) : path;
}

function executableNames(name: string, platform: NodeJS.Platform): string[] {
  return platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name];
}

/** The first directory of PATH holding an executable of that name. */
export function findOnPath(name: string, input: Pick<ServerCommandInput, 'pathEnv' | 'platform' | 'isFile'>): string | undefined {
  const delimiter = input.platform === 'win32' ? ';' : ':';
  for (const dir of input.pathEnv.split(delimiter)) {
    if (!dir) {
      continue;
    }
    for (const candidate of executableNames(name, input.platform)) {
      const full = join(input.platform, dir, candidate);
      if (input.isFile(full)) {
        return full;
      }
    }
  }
  return undefined;
}

const INSTALL_HINT =
  'Install the server with `pipx install deepseek-fim` (or `pip install deepseek-fim` into a virtual environment), ' +
  'then set `deepseekFim.server.command` to the full path of `deepseek-fim-ls`, ' +
  'or `deepseekFim.server.pythonPath` to the Python that has it, and run "DeepSeek FIM: Restart Server".';

/** Resolve the command line of the server, or throw ServerNotFound with the fix in its message. */
export function resolveServerCommand(input: ServerCommandInput): ServerCommand {
  const { platform } = input;
  const command = expandHome(input.command.trim(), input.homeDir);
  if (command) {
    const resolved = hasSeparator(command) ? (input.isFile(command) ? command : undefined) : findOnPath(command, input);
    if (!resolved) {
      throw new ServerNotFound(
        `DeepSeek FIM: the server command "${command}" (setting deepseekFim.server.command) was not found. ` +
          'Set it to the full path of `deepseek-fim-ls`, or clear it to search PATH. ' +
          INSTALL_HINT,
        'deepseekFim.server.command',
      );
    }
    return { command: resolved, args: ['--stdio'], source: 'setting' };
  }
  const python = expandHome(input.pythonPath.trim(), input.homeDir);
  if (python) {
    const resolved = hasSeparator(python) ? (input.isFile(python) ? python : undefined) : findOnPath(python, input);
    if (!resolved) {
      throw new ServerNotFound(
        `DeepSeek FIM: the Python interpreter "${python}" (setting deepseekFim.server.pythonPath) was not found. ` +
          'Set it to the full path of a Python that has `deepseek-fim` installed. ' +
          INSTALL_HINT,
        'deepseekFim.server.pythonPath',
      );
    }
    return { command: resolved, args: ['-c', PYTHON_ENTRY, '--stdio'], source: 'pythonPath' };
  }
  const onPath = findOnPath(SERVER_NAME, input);
  if (onPath) {
    return { command: onPath, args: ['--stdio'], source: 'PATH' };
  }
  const binDir = platform === 'win32' ? 'Scripts' : 'bin';
  for (const folder of input.workspaceFolders) {
    for (const venv of ['.venv', 'venv']) {
      for (const name of executableNames(SERVER_NAME, platform)) {
        const candidate = join(platform, folder, venv, binDir, name);
        if (input.isFile(candidate)) {
          return { command: candidate, args: ['--stdio'], source: 'workspace venv' };
        }
      }
    }
  }
  if (input.homeDir && platform !== 'win32') {
    const candidate = join(platform, input.homeDir, '.local', 'bin', SERVER_NAME);
    if (input.isFile(candidate)) {
      return { command: candidate, args: ['--stdio'], source: 'user bin' };
    }
  }
  throw new ServerNotFound(
    `DeepSeek FIM: the language server \`${SERVER_NAME}\` was not found on PATH, in a .venv of the workspace ` +
      `or in ~/.local/bin. ${INSTALL_HINT}`,
    'deepseekFim.server.command',
  );
}

/** The message shown when the server process fails to start or exits at once. */
export function startFailureMessage(cmd: ServerCommand, error: string): string {
  const base = `DeepSeek FIM: the language server (${cmd.command}) could not be started: ${error}.`;
  if (cmd.source === 'pythonPath') {
    return `${base} Check that this Python has the package installed (\`${cmd.command} -m pip install deepseek-fim\`), or set deepseekFim.server.command instead.`;
  }
  return `${base} Run it in a terminal with --help to see why, or point deepseekFim.server.command at a working install. ${INSTALL_HINT}`;
}
