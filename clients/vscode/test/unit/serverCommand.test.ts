import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bundledArgs,
  findOnPath,
  parseProbe,
  PROBE_CODE,
  pythonCandidates,
  resolveServerCommand,
  ServerNotFound,
  startFailureMessage,
  type PythonInfo,
  type ServerCommandInput,
} from '../../src/serverCommand';

const LIBS = '/ext/bundled/libs';

/** Pythons by path: what probing each reports (absent: it does not run). */
function input(
  files: string[],
  overrides: Partial<ServerCommandInput> = {},
  pythons: Record<string, [number, number, number]> = {},
): ServerCommandInput & { probed: string[][] } {
  const set = new Set(files);
  const probed: string[][] = [];
  return {
    command: '',
    pythonPath: '',
    bundledLibs: undefined,
    pythonExtension: undefined,
    workspaceFolders: ['/work/project'],
    pathEnv: '/usr/local/bin:/usr/bin',
    homeDir: '/home/me',
    platform: 'linux',
    isFile: (p) => set.has(p),
    probe: async (command): Promise<PythonInfo | undefined> => {
      probed.push(command);
      const version = pythons[command[0] ?? ''];
      return version ? { executable: command[0] ?? '', version } : undefined;
    },
    probed,
    ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, check: (error: ServerNotFound) => boolean): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof ServerNotFound && check(error));
}

test('an explicit command path is used as it is, with --stdio, even with a bundle', async () => {
  const cmd = await resolveServerCommand(
    input(['/opt/venv/bin/deepseek-fim-ls'], { command: '/opt/venv/bin/deepseek-fim-ls', bundledLibs: LIBS }),
  );
  assert.deepEqual(cmd, { command: '/opt/venv/bin/deepseek-fim-ls', args: ['--stdio'], source: 'setting' });
});

test('an explicit command name is looked up on PATH; ~ expands to the home directory', async () => {
  assert.equal((await resolveServerCommand(input(['/usr/bin/my-ls'], { command: 'my-ls' }))).command, '/usr/bin/my-ls');
  assert.equal((await resolveServerCommand(input(['/home/me/bin/ls'], { command: '~/bin/ls' }))).command, '/home/me/bin/ls');
});

test('a missing explicit command names the setting, and no package that does not exist', async () => {
  await rejectsWith(
    resolveServerCommand(input([], { command: '/nope/deepseek-fim-ls' })),
    (error) =>
      error.setting === 'deepseekFim.server.command' &&
      error.message.includes('/nope/deepseek-fim-ls') &&
      !error.message.includes('pipx install deepseek-fim'),
  );
});

test('the command wins over pythonPath; pythonPath runs the entry point with --stdio', async () => {
  const pythons = { '/usr/bin/python3': [3, 12, 1] as [number, number, number] };
  const both = input(['/opt/ls', '/usr/bin/python3'], { command: '/opt/ls', pythonPath: '/usr/bin/python3' }, pythons);
  assert.equal((await resolveServerCommand(both)).command, '/opt/ls');
  const py = await resolveServerCommand(input(['/usr/bin/python3'], { pythonPath: 'python3' }, pythons));
  assert.equal(py.command, '/usr/bin/python3');
  assert.equal(py.source, 'pythonPath');
  assert.equal(py.args[0], '-c');
  assert.match(py.args[1] ?? '', /from deepseek_fim\.lsp\.main import main/);
  assert.doesNotMatch(py.args[1] ?? '', /sys\.path/);
  assert.equal(py.args.at(-1), '--stdio');
});

test('pythonPath with a bundle appends the bundle to sys.path (an installed package wins)', async () => {
  const py = await resolveServerCommand(
    input(['/opt/py'], { pythonPath: '/opt/py', bundledLibs: LIBS }, { '/opt/py': [3, 11, 0] }),
  );
  assert.equal(py.source, 'pythonPath');
  assert.match(py.args[1] ?? '', /sys\.path\.append\("\/ext\/bundled\/libs"\)/);
});

test('a missing or too old pythonPath names its own setting and the version', async () => {
  await rejectsWith(
    resolveServerCommand(input([], { pythonPath: '/nope/python' })),
    (error) => error.setting === 'deepseekFim.server.pythonPath' && error.message.includes('was not found'),
  );
  await rejectsWith(
    resolveServerCommand(input(['/old/python'], { pythonPath: '/old/python' }, { '/old/python': [3, 9, 2] })),
    (error) => error.setting === 'deepseekFim.server.pythonPath' && error.message.includes('is Python 3.9.2'),
  );
});

test('bundled: the Python extension interpreter comes first, bundle first on sys.path', async () => {
  const given = input(
    ['/usr/bin/python3', '/usr/bin/deepseek-fim-ls'],
    { bundledLibs: LIBS, pythonExtension: ['/home/me/.venv/bin/python'] },
    { '/home/me/.venv/bin/python': [3, 13, 0], '/usr/bin/python3': [3, 11, 2] },
  );
  const cmd = await resolveServerCommand(given);
  assert.equal(cmd.source, 'bundled');
  assert.equal(cmd.command, '/home/me/.venv/bin/python');
  assert.deepEqual(cmd.args, bundledArgs(LIBS));
  assert.match(cmd.args[1] ?? '', /^import sys; sys\.path\.insert\(0, "\/ext\/bundled\/libs"\); from deepseek_fim/);
  assert.deepEqual(given.probed, [['/home/me/.venv/bin/python']], 'stops at the first good one');
});

test('bundled: a too old interpreter is skipped for python3 on PATH', async () => {
  const cmd = await resolveServerCommand(
    input(['/usr/bin/python3'], { bundledLibs: LIBS, pythonExtension: ['/old/python'] }, {
      '/old/python': [3, 10, 12],
      '/usr/bin/python3': [3, 11, 2],
    }),
  );
  assert.equal(cmd.command, '/usr/bin/python3');
  assert.equal(cmd.source, 'bundled');
});

test('bundled on Windows: py -3 keeps its argument before -c', async () => {
  const cmd = await resolveServerCommand(
    input(['C:\\Windows\\py.exe'], { bundledLibs: 'C:\\ext\\bundled\\libs', platform: 'win32', pathEnv: 'C:\\Windows' }, {
      'C:\\Windows\\py.exe': [3, 12, 0],
    }),
  );
  assert.equal(cmd.command, 'C:\\Windows\\py.exe');
  assert.deepEqual(cmd.args.slice(0, 2), ['-3', '-c']);
  assert.match(cmd.args[2] ?? '', /sys\.path\.insert\(0, "C:\\\\ext\\\\bundled\\\\libs"\)/);
});

test('bundled, no Python 3.11+: an installed deepseek-fim-ls is used instead', async () => {
  const cmd = await resolveServerCommand(
    input(['/usr/bin/python3', '/usr/bin/deepseek-fim-ls'], { bundledLibs: LIBS }, { '/usr/bin/python3': [3, 9, 2] }),
  );
  assert.deepEqual(cmd, { command: '/usr/bin/deepseek-fim-ls', args: ['--stdio'], source: 'PATH' });
});

test('bundled, no Python 3.11+ and no server: one message with what was found and what to install', async () => {
  await rejectsWith(
    resolveServerCommand(input(['/usr/bin/python3'], { bundledLibs: LIBS }, { '/usr/bin/python3': [3, 9, 2] })),
    (error) =>
      error.setting === 'deepseekFim.server.pythonPath' &&
      error.message.startsWith('DeepSeek FIM needs Python 3.11 or newer') &&
      error.message.includes('/usr/bin/python3 is Python 3.9.2') &&
      error.message.includes('python.org'),
  );
  await rejectsWith(
    resolveServerCommand(input([], { bundledLibs: LIBS })),
    (error) => error.message.includes('No python3 or python was found on PATH'),
  );
});

test('without a bundle (a development build): PATH first, then a workspace .venv, then ~/.local/bin', async () => {
  const all = ['/usr/bin/deepseek-fim-ls', '/work/project/.venv/bin/deepseek-fim-ls', '/home/me/.local/bin/deepseek-fim-ls'];
  assert.deepEqual(await resolveServerCommand(input(all)), { command: '/usr/bin/deepseek-fim-ls', args: ['--stdio'], source: 'PATH' });
  assert.equal((await resolveServerCommand(input(all.slice(1)))).source, 'workspace venv');
  assert.equal((await resolveServerCommand(input(all.slice(2)))).source, 'user bin');
});

test('without a bundle, nothing found: the message says where it looked and how to fix it', async () => {
  await rejectsWith(
    resolveServerCommand(input([])),
    (error) =>
      /not found on PATH, in a \.venv of the workspace or in ~\/\.local\/bin/.test(error.message) &&
      error.message.includes('deepseekFim.server.command') &&
      error.message.includes('deepseekFim.server.pythonPath'),
  );
});

test('Python candidates: python3 then python on POSIX, py -3 then python on Windows', () => {
  const posix = pythonCandidates({
    pythonExtension: undefined, pathEnv: '/a:/b', platform: 'linux', isFile: (p) => p === '/b/python3' || p === '/a/python',
  });
  assert.deepEqual(posix.map((c) => c.command), [['/b/python3'], ['/a/python']]);
  const win = pythonCandidates({
    pythonExtension: ['C:\\venv\\python.exe'], pathEnv: 'C:\\W', platform: 'win32', isFile: (p) => p.startsWith('C:\\W\\'),
  });
  assert.deepEqual(win.map((c) => c.command), [['C:\\venv\\python.exe'], ['C:\\W\\py.exe', '-3'], ['C:\\W\\python.exe']]);
  assert.equal(win[0]?.source, 'Python extension');
});

test('the probe prints JSON that parseProbe reads; anything else is no Python', () => {
  assert.match(PROBE_CODE, /sys\.version_info/);
  assert.deepEqual(parseProbe('{"executable": "/usr/bin/python3", "version": [3, 11, 2]}\n'), {
    executable: '/usr/bin/python3',
    version: [3, 11, 2],
  });
  assert.equal(parseProbe('Python was not found; run without arguments to install from the Microsoft Store'), undefined);
  assert.equal(parseProbe('{"executable": "x", "version": [3]}'), undefined);
});

test('Windows: ; separates PATH and .exe is tried', () => {
  const found = findOnPath('deepseek-fim-ls', {
    pathEnv: 'C:\\Python\\Scripts;C:\\Windows',
    platform: 'win32',
    isFile: (p) => p === 'C:\\Python\\Scripts\\deepseek-fim-ls.exe',
  });
  assert.equal(found, 'C:\\Python\\Scripts\\deepseek-fim-ls.exe');
});

test('empty PATH entries are skipped rather than meaning the current directory', () => {
  assert.equal(findOnPath('x', { pathEnv: '::', platform: 'linux', isFile: () => true }), undefined);
});

test('a start failure says what to change for each source', () => {
  const py = startFailureMessage({ command: '/usr/bin/python3', args: [], source: 'pythonPath' }, 'exited with code 1');
  assert.match(py, /exited with code 1/);
  assert.match(py, /deepseekFim\.server\.pythonPath/);
  const bundled = startFailureMessage({ command: '/usr/bin/python3', args: [], source: 'bundled' }, 'spawn EACCES');
  assert.match(bundled, /Show Logs/);
});
