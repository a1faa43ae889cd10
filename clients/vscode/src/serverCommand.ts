// How to start the language server, and what to tell the user when it cannot be started.
// Pure: the file system, PATH and the running of Python are passed in.
//
// The .vsix carries the server (bundled/libs: the deepseek_fim package and its pure-Python
// dependencies, the convention of Microsoft's Python tool extensions). It runs with a Python of the
// user's: the Python extension's interpreter when there is one, else python3/python (py -3 on
// Windows) on PATH, the first of version MIN_PYTHON or newer.

export const SERVER_NAME = 'deepseek-fim-ls';
export const MIN_PYTHON: readonly [number, number] = [3, 11];
const ENTRY = 'from deepseek_fim.lsp.main import main; sys.exit(main())';
/** For `deepseekFim.server.pythonPath` without a bundle: that Python must have the package. */
const PYTHON_ENTRY = `import sys; ${ENTRY}`;

/** What running `python -c ...` told about an interpreter. */
export interface PythonInfo {
  executable: string;
  version: [number, number, number];
}

/** A Python command line (e.g. ['py', '-3']) and where it was found. */
export interface PythonCandidate {
  command: string[];
  source: 'Python extension' | 'PATH';
}

export interface ServerCommandInput {
  /** `deepseekFim.server.command` */
  command: string;
  /** `deepseekFim.server.pythonPath` */
  pythonPath: string;
  /** The extension's `bundled/libs` when the .vsix carries the server, else undefined. */
  bundledLibs: string | undefined;
  /** The interpreter the Python extension selected, if it is installed and has one. */
  pythonExtension: string[] | undefined;
  /** Workspace folder paths, searched for a `.venv` holding the server. */
  workspaceFolders: readonly string[];
  /** The `PATH` environment variable. */
  pathEnv: string;
  homeDir: string;
  platform: NodeJS.Platform;
  /** True when the path is an existing file. */
  isFile: (path: string) => boolean;
  /** Run the interpreter and report its version; undefined when it does not run. */
  probe: (command: string[]) => Promise<PythonInfo | undefined>;
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for the logs. */
  source: 'setting' | 'pythonPath' | 'bundled' | 'PATH' | 'workspace venv' | 'user bin';
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

function versionText(v: readonly number[]): string {
  return v.join('.');
}

export function isSupported(info: PythonInfo): boolean {
  const [major, minor] = info.version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

const NEED_PYTHON = `Python ${versionText(MIN_PYTHON)} or newer`;

const INSTALL_HINT =
  `Install ${NEED_PYTHON} (python.org, or your system's package manager) and restart VS Code, ` +
  'or set `deepseekFim.server.pythonPath` to one. ' +
  'To run a server you installed yourself (from a clone: `pipx install ./deepseek-fim`), set ' +
  '`deepseekFim.server.command` to its `deepseek-fim-ls`.';

/** The arguments that run the bundled server with a Python: its libs go first on sys.path. */
export function bundledArgs(bundledLibs: string, interpreterArgs: readonly string[] = []): string[] {
  // A JSON string is a valid Python string literal for any path.
  const code = `import sys; sys.path.insert(0, ${JSON.stringify(bundledLibs)}); ${ENTRY}`;
  return [...interpreterArgs, '-c', code, '--stdio'];
}

/** The Python interpreters to try, in order: the Python extension's, then PATH's. */
export function pythonCandidates(input: Pick<ServerCommandInput, 'pythonExtension' | 'pathEnv' | 'platform' | 'isFile'>): PythonCandidate[] {
  const out: PythonCandidate[] = [];
  if (input.pythonExtension && input.pythonExtension.length > 0) {
    out.push({ command: input.pythonExtension, source: 'Python extension' });
  }
  const names = input.platform === 'win32' ? [['py', '-3'], ['python']] : [['python3'], ['python']];
  for (const [name, ...rest] of names) {
    const found = name ? findOnPath(name, input) : undefined;
    if (found) {
      out.push({ command: [found, ...rest], source: 'PATH' });
    }
  }
  return out;
}

/** The first supported Python of the candidates, and what was found that is not. */
async function findPython(input: ServerCommandInput): Promise<{ chosen?: PythonCandidate; rejected: string[] }> {
  const rejected: string[] = [];
  for (const candidate of pythonCandidates(input)) {
    const info = await input.probe(candidate.command);
    if (info && isSupported(info)) {
      return { chosen: candidate, rejected };
    }
    rejected.push(
      info
        ? `${candidate.command.join(' ')} is Python ${versionText(info.version)}`
        : `${candidate.command.join(' ')} did not run`,
    );
  }
  return { rejected };
}

function installedServer(input: ServerCommandInput): ServerCommand | undefined {
  const { platform } = input;
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
  return undefined;
}

/**
 * Resolve the command line of the server, or throw ServerNotFound with the fix in its message.
 * Order: `server.command`; `server.pythonPath`; the bundled server with the first Python 3.11+;
 * a `deepseek-fim-ls` installed on PATH, in a workspace .venv or in ~/.local/bin.
 */
export async function resolveServerCommand(input: ServerCommandInput): Promise<ServerCommand> {
  const command = expandHome(input.command.trim(), input.homeDir);
  if (command) {
    const resolved = hasSeparator(command) ? (input.isFile(command) ? command : undefined) : findOnPath(command, input);
    if (!resolved) {
      throw new ServerNotFound(
        `DeepSeek FIM: the server command "${command}" (setting deepseekFim.server.command) was not found. ` +
          'Set it to the full path of `deepseek-fim-ls`, or clear it to use the server that comes with the extension.',
        'deepseekFim.server.command',
      );
    }
    return { command: resolved, args: ['--stdio'], source: 'setting' };
  }
  const python = expandHome(input.pythonPath.trim(), input.homeDir);
  if (python) {
    const resolved = hasSeparator(python) ? (input.isFile(python) ? python : undefined) : findOnPath(python, input);
    const info = resolved ? await input.probe([resolved]) : undefined;
    if (!resolved || !info || !isSupported(info)) {
      const what = !resolved ? 'was not found' : info ? `is Python ${versionText(info.version)}` : 'did not run';
      throw new ServerNotFound(
        `DeepSeek FIM: the Python interpreter "${python}" (setting deepseekFim.server.pythonPath) ${what}. ` +
          `Set it to the full path of ${NEED_PYTHON}, or clear it to find one on PATH.`,
        'deepseekFim.server.pythonPath',
      );
    }
    if (input.bundledLibs) {
      // The bundle goes last: a deepseek-fim installed in that Python wins.
      const code = `import sys; sys.path.append(${JSON.stringify(input.bundledLibs)}); ${ENTRY}`;
      return { command: resolved, args: ['-c', code, '--stdio'], source: 'pythonPath' };
    }
    return { command: resolved, args: ['-c', PYTHON_ENTRY, '--stdio'], source: 'pythonPath' };
  }
  let rejected: string[] = [];
  if (input.bundledLibs) {
    const found = await findPython(input);
    rejected = found.rejected;
    if (found.chosen) {
      const [exe, ...rest] = found.chosen.command;
      return { command: exe ?? '', args: bundledArgs(input.bundledLibs, rest), source: 'bundled' };
    }
  }
  const installed = installedServer(input);
  if (installed) {
    return installed;
  }
  if (input.bundledLibs) {
    const seen = rejected.length > 0 ? ` Found: ${rejected.join('; ')}.` : ' No python3 or python was found on PATH.';
    throw new ServerNotFound(
      `DeepSeek FIM needs ${NEED_PYTHON} to run its language server.${seen} ${INSTALL_HINT}`,
      'deepseekFim.server.pythonPath',
    );
  }
  throw new ServerNotFound(
    `DeepSeek FIM: the language server \`${SERVER_NAME}\` was not found on PATH, in a .venv of the workspace ` +
      `or in ~/.local/bin, and this build of the extension does not carry it. ${INSTALL_HINT}`,
    'deepseekFim.server.command',
  );
}

/** The message shown when the server process fails to start or exits at once. */
export function startFailureMessage(cmd: ServerCommand, error: string): string {
  const base = `DeepSeek FIM: the language server (${cmd.command}) could not be started: ${error}.`;
  if (cmd.source === 'pythonPath') {
    return `${base} Check that this is ${NEED_PYTHON}, or clear deepseekFim.server.pythonPath to use another.`;
  }
  if (cmd.source === 'bundled') {
    return `${base} See "DeepSeek FIM: Show Logs"; set deepseekFim.server.pythonPath to use another Python.`;
  }
  return `${base} Run it in a terminal with --help to see why, or point deepseekFim.server.command at a working install.`;
}

/** The code that makes a Python print what `PythonInfo` holds (one JSON line). */
export const PROBE_CODE =
  'import json, sys; print(json.dumps({"executable": sys.executable, "version": list(sys.version_info[:3])}))';

/** Parse the probe's output; undefined when it is not what PROBE_CODE prints. */
export function parseProbe(stdout: string): PythonInfo | undefined {
  try {
    const data = JSON.parse(stdout.trim()) as { executable?: unknown; version?: unknown };
    const v = data.version;
    if (typeof data.executable === 'string' && Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number')) {
      return { executable: data.executable, version: [v[0], v[1], v[2]] as [number, number, number] };
    }
  } catch {
    // not JSON: not a Python, or a broken one
  }
  return undefined;
}
