// Puts the language server into bundled/libs, so that the .vsix carries it: the deepseek_fim
// package (a wheel built from this repository) and its dependencies, pure-Python wheels only
// (py3-none-any), so one .vsix runs with any Python 3.11+ on Linux, macOS and Windows.
// Uses $PYTHON, else the repository's .venv, else python3. Network: PyPI through pip (and its cache).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..', '..');
const libs = join(root, 'bundled', 'libs');
const venvPython = join(repo, '.venv', process.platform === 'win32' ? 'Scripts\\python.exe' : 'bin/python');
const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : 'python3');

function pip(...args) {
  execFileSync(python, ['-m', 'pip', '--disable-pip-version-check', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
}

const wheels = mkdtempSync(join(tmpdir(), 'deepseek-fim-wheel-'));
try {
  pip('wheel', '--quiet', '--no-deps', '--wheel-dir', wheels, repo);
  const wheel = readdirSync(wheels).find((f) => f.endsWith('.whl'));
  if (!wheel) {
    throw new Error('pip wheel built no wheel');
  }
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  // --platform any / --implementation py / --abi none: only wheels that are pure Python.
  pip('install', '--quiet', '--no-compile', '--target', libs, '--only-binary=:all:', '--platform', 'any',
    '--implementation', 'py', '--abi', 'none', '--python-version', '3.11', join(wheels, wheel));
} finally {
  rmSync(wheels, { recursive: true, force: true });
}
// Console scripts point at the build machine's Python: the extension runs the package itself.
rmSync(join(libs, 'bin'), { recursive: true, force: true });

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}
const native = walk(libs).filter((f) => /\.(so|pyd|dylib|dll)$/.test(f));
if (native.length > 0) {
  throw new Error(`bundled/libs must be pure Python, but has: ${native.join(', ')}`);
}
const packages = readdirSync(libs).filter((n) => n.endsWith('.dist-info')).map((n) => n.replace(/\.dist-info$/, ''));
console.log(`bundled/libs: ${packages.join(', ')}`);
