// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      eqeqeq: 'error',
      curly: 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/settings.ts', 'src/status.ts', 'src/serverCommand.ts', 'src/usageReport.ts', 'src/usageChart.ts', 'src/protocol.ts'],
    rules: {
      // These modules are unit-tested in plain Node.
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Keep this module free of vscode.' }] }],
    },
  },
  {
    // node:test's test() returns a promise that the runner itself awaits.
    files: ['test/unit/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', URL: 'readonly', Buffer: 'readonly', AbortSignal: 'readonly' },
    },
  },
  {
    // Functions passed to page.evaluate() run in the browser.
    files: ['bench/**/*.mjs'],
    languageOptions: {
      globals: { document: 'readonly', window: 'readonly', performance: 'readonly', MutationObserver: 'readonly' },
    },
  },
);
