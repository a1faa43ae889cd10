// Bundles the extension (dist/extension.js) and, with --tests, the unit tests (out/test/unit/*.test.js).
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

const extension = {
  absWorkingDir: root,
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'dist/extension.js',
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

if (args.has('--tests')) {
  const unitDir = join(root, 'test', 'unit');
  const entryPoints = readdirSync(unitDir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test', 'unit', f));
  // The unit tests must run in plain Node: a `vscode` import is a build error here.
  await esbuild.build({
    absWorkingDir: root,
    entryPoints,
    bundle: true,
    outdir: 'out/test/unit',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
} else if (args.has('--watch')) {
  const ctx = await esbuild.context(extension);
  await ctx.watch();
} else {
  await esbuild.build(extension);
}
