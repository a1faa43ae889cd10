// Helpers of the end-to-end tests: the fake DeepSeek API, code-server with the .vsix, chromium.
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const EXT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO = join(EXT_DIR, '..', '..');
const CACHE = process.env.DEEPSEEK_FIM_CACHE ?? join(REPO, '.cache');
export const CODE_SERVER = process.env.CODE_SERVER_BIN ?? join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');
export const VENV = process.env.DEEPSEEK_FIM_VENV ?? join(REPO, '.venv');
export const SERVER_COMMAND = process.env.DEEPSEEK_FIM_LS ?? join(VENV, 'bin', 'deepseek-fim-ls');
export const PYTHON = join(VENV, 'bin', 'python');
export const VSIX = process.env.DEEPSEEK_FIM_VSIX ?? join(EXT_DIR, 'dist', 'deepseek-fim.vsix');
export const ARTIFACTS = process.env.DEEPSEEK_FIM_ARTIFACTS ?? join(REPO, 'artifacts', 'vscode');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns a truthy value; throw with `what` after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 15000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) {
        return value;
      }
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawn a process whose output goes to a log file; kill() ends its whole process group. */
function spawnLogged(command, args, { logFile, env, cwd } = {}) {
  const child = spawn(command, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (logFile) {
    const log = createWriteStream(logFile);
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  return { child, kill };
}

/** The fake DeepSeek API in its own process, steered over HTTP. */
export class FakeDeepSeek {
  static async start(dir, completion) {
    const args = ['-m', 'deepseek_fim.testing.fake_deepseek', '--port', '0', '--completion', completion];
    const { child, kill } = spawnLogged(PYTHON, args, { env: process.env });
    const stderr = createWriteStream(join(dir, 'fake-deepseek.log'));
    child.stderr.pipe(stderr);
    const url = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`fake DeepSeek did not start: ${out}`)), 20000);
      child.stdout.on('data', (data) => {
        out += data.toString();
        const match = /FAKE_DEEPSEEK_URL=(\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`fake DeepSeek exited with ${code}: ${out}`)));
    });
    return new FakeDeepSeek(url, kill);
  }

  constructor(url, kill) {
    this.url = url;
    this.stop = kill;
  }

  async call(method, name, body) {
    const response = await fetch(`${this.url}/_fake/${name}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`fake ${method} /_fake/${name}: ${response.status} ${text}`);
    }
    return JSON.parse(text);
  }

  log() {
    return this.call('GET', 'log');
  }

  configure(changes) {
    return this.call('POST', 'config', changes);
  }

  script(entries) {
    return this.call('POST', 'script', entries);
  }

  reset() {
    return this.call('POST', 'reset', {});
  }

  /** The FIM requests (POST .../completions) in the log. */
  async fimRequests() {
    return (await this.log()).filter((e) => e.method === 'POST' && /\/completions$/.test(e.path));
  }
}

/** A temp home for one run: user data, extensions, workspace, ledger. */
export function makeSandbox() {
  const root = mkdtempSync(join(tmpdir(), 'deepseek-fim-vscode-e2e-'));
  const dirs = {
    root,
    user: join(root, 'user'),
    extensions: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
    ledger: join(root, 'ledger'),
    config: join(root, 'config.yaml'),
  };
  for (const dir of [dirs.user, dirs.extensions, dirs.workspace, dirs.ledger, join(dirs.user, 'User')]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  return dirs;
}

export function writeUserSettings(sandbox, settings) {
  writeFileSync(join(sandbox.user, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** The environment of code-server: no key from the environment, an isolated ledger; `overrides` on top. */
function codeServerEnv(sandbox, overrides = {}) {
  const env = { ...process.env, DEEPSEEK_FIM_DATA_DIR: sandbox.ledger, ...overrides };
  delete env.DEEPSEEK_API_KEY;
  delete env.DEEPSEEK_BASE_URL;
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

export async function installVsix(sandbox, envOverrides = {}) {
  if (!existsSync(VSIX)) {
    throw new Error(`${VSIX} is missing: run "npm run package" first`);
  }
  const { stdout, stderr } = await execFileAsync(
    CODE_SERVER,
    ['--config', sandbox.config, '--user-data-dir', sandbox.user, '--extensions-dir', sandbox.extensions,
      '--install-extension', VSIX, '--force'],
    { env: codeServerEnv(sandbox, envOverrides), timeout: 120000 },
  );
  return `${stdout}${stderr}`;
}

export async function startCodeServer(sandbox, envOverrides = {}) {
  const port = await freePort();
  const args = ['--config', sandbox.config, '--user-data-dir', sandbox.user, '--extensions-dir', sandbox.extensions,
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', sandbox.workspace];
  const { child, kill } = spawnLogged(CODE_SERVER, args, {
    logFile: join(sandbox.root, 'code-server.log'),
    env: codeServerEnv(sandbox, envOverrides),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('code-server to answer /healthz', async () => {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with ${child.exitCode}; see ${sandbox.root}/code-server.log`);
    }
    const response = await fetch(`${url}/healthz`);
    return response.ok;
  }, { timeoutMs: 60000, intervalMs: 250 });
  return { url, stop: kill };
}

/** The text of every file under `dir` whose name matches `pattern` (e.g. the output channel's log). */
export function readLogs(dir, pattern) {
  if (!existsSync(dir)) {
    return '';
  }
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => pattern.test(path) && statSync(path).isFile())
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
