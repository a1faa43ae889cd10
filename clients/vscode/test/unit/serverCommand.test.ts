import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findOnPath, resolveServerCommand, ServerNotFound, startFailureMessage, type ServerCommandInput } from '../../src/serverCommand';

function input(files: string[], overrides: Partial<ServerCommandInput> = {}): ServerCommandInput {
  const set = new Set(files);
  return {
    command: '',
    pythonPath: '',
    workspaceFolders: ['/work/project'],
    pathEnv: '/usr/local/bin:/usr/bin',
    homeDir: '/home/me',
    platform: 'linux',
    isFile: (p) => set.has(p),
    ...overrides,
  };
}

test('an explicit command path is used as it is, with --stdio', () => {
  const cmd = resolveServerCommand(input(['/opt/venv/bin/deepseek-fim-ls'], { command: '/opt/venv/bin/deepseek-fim-ls' }));
  assert.deepEqual(cmd, { command: '/opt/venv/bin/deepseek-fim-ls', args: ['--stdio'], source: 'setting' });
});

test('an explicit command name is looked up on PATH; ~ expands to the home directory', () => {
  assert.equal(resolveServerCommand(input(['/usr/bin/my-ls'], { command: 'my-ls' })).command, '/usr/bin/my-ls');
  assert.equal(
    resolveServerCommand(input(['/home/me/bin/ls'], { command: '~/bin/ls' })).command,
    '/home/me/bin/ls',
  );
});

test('a missing explicit command throws ServerNotFound naming the setting and the fix', () => {
  assert.throws(
    () => resolveServerCommand(input([], { command: '/nope/deepseek-fim-ls' })),
    (error: unknown) =>
      error instanceof ServerNotFound &&
      error.setting === 'deepseekFim.server.command' &&
      error.message.includes('/nope/deepseek-fim-ls') &&
      error.message.includes('pipx install deepseek-fim'),
  );
});

test('the command wins over pythonPath; pythonPath runs the entry point with --stdio', () => {
  const both = input(['/opt/ls', '/usr/bin/python3'], { command: '/opt/ls', pythonPath: '/usr/bin/python3' });
  assert.equal(resolveServerCommand(both).command, '/opt/ls');
  const py = resolveServerCommand(input(['/usr/bin/python3'], { pythonPath: 'python3' }));
  assert.equal(py.command, '/usr/bin/python3');
  assert.equal(py.source, 'pythonPath');
  assert.equal(py.args[0], '-c');
  assert.match(py.args[1] ?? '', /from deepseek_fim\.lsp\.main import main/);
  assert.equal(py.args.at(-1), '--stdio');
});

test('a missing pythonPath names its own setting', () => {
  assert.throws(
    () => resolveServerCommand(input([], { pythonPath: '/nope/python' })),
    (error: unknown) => error instanceof ServerNotFound && error.setting === 'deepseekFim.server.pythonPath',
  );
});

test('without settings: PATH first, then a workspace .venv, then ~/.local/bin', () => {
  const all = ['/usr/bin/deepseek-fim-ls', '/work/project/.venv/bin/deepseek-fim-ls', '/home/me/.local/bin/deepseek-fim-ls'];
  assert.deepEqual(resolveServerCommand(input(all)), { command: '/usr/bin/deepseek-fim-ls', args: ['--stdio'], source: 'PATH' });
  assert.equal(resolveServerCommand(input(all.slice(1))).source, 'workspace venv');
  assert.equal(resolveServerCommand(input(all.slice(2))).source, 'user bin');
});

test('nothing found: the message says where it looked and how to fix it', () => {
  assert.throws(
    () => resolveServerCommand(input([])),
    (error: unknown) =>
      error instanceof ServerNotFound &&
      /not found on PATH, in a \.venv of the workspace or in ~\/\.local\/bin/.test(error.message) &&
      error.message.includes('deepseekFim.server.command') &&
      error.message.includes('deepseekFim.server.pythonPath'),
  );
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

test('a start failure from pythonPath suggests installing the package into that Python', () => {
  const msg = startFailureMessage({ command: '/usr/bin/python3', args: [], source: 'pythonPath' }, 'exited with code 1');
  assert.match(msg, /exited with code 1/);
  assert.match(msg, /\/usr\/bin\/python3 -m pip install deepseek-fim/);
});
