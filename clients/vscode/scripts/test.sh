#!/usr/bin/env bash
# Everything the VS Code extension's tests need, then the tests: lint + typecheck, unit tests,
# the .vsix build, and the end-to-end tests in code-server against the real language server and
# the fake DeepSeek API. Exits non-zero on the first failure.
#   scripts/test.sh            all of it
#   scripts/test.sh --no-e2e   skip the end-to-end tests (no code-server, chromium or server needed)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT_DIR="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$EXT_DIR/../.." && pwd)"
E2E=1
[ "${1:-}" = "--no-e2e" ] && E2E=0

step() { printf '\n=== vscode: %s\n' "$*"; }
cd "$EXT_DIR"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$E2E" = 1 ]; then
  step "install code-server, chromium (if missing)"
  start=$(date +%s)
  "$HERE/install-code-server.sh" >/dev/null
  echo "install: $(( $(date +%s) - start )) s"
fi

step "typecheck + lint"
npm run --silent check

step "unit tests"
npm run --silent test:unit

step "package the .vsix"
npm run --silent package >/dev/null
ls -l dist/deepseek-fim.vsix

if [ "$E2E" = 1 ]; then
  server="${DEEPSEEK_FIM_LS:-$REPO/.venv/bin/deepseek-fim-ls}"
  if [ ! -x "$server" ]; then
    echo "The language server $server is missing: install the Python package first" \
      "(python -m venv .venv && .venv/bin/pip install -e '.[dev]'), or set DEEPSEEK_FIM_LS." >&2
    exit 1
  fi
  step "end-to-end tests in code-server (screenshots in ${DEEPSEEK_FIM_ARTIFACTS:-$REPO/artifacts/vscode})"
  start=$(date +%s)
  node --test test/e2e/
  echo "e2e: $(( $(date +%s) - start )) s"
fi
