#!/usr/bin/env bash
# Checks the Neovim plugin: stylua --check, the busted specs on Neovim 0.11 and 0.12, and the
# end-to-end pytest tests (real Neovim, real server, fake DeepSeek API) on both versions.
# Needs clients/neovim/scripts/install-nvim.sh to have run, and the project venv with the server.
# Exits non-zero on any failure.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${DEEPSEEK_FIM_CACHE:-$REPO/.cache}"
VENV="${DEEPSEEK_FIM_VENV:-$REPO/.venv}"
STYLUA="$CACHE/stylua/node_modules/.bin/stylua"
status=0

step() { printf '\n== %s\n' "$*"; }

step "stylua --check"
if [ -x "$STYLUA" ]; then
  "$STYLUA" --check "$HERE" || status=1
else
  echo "stylua missing: run clients/neovim/scripts/install-nvim.sh" >&2
  status=1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for v in 0.11 0.12; do
  step "busted specs on Neovim $v"
  nvim="$CACHE/nvim-$v/bin/nvim"
  if [ ! -x "$nvim" ]; then
    echo "$nvim missing: run clients/neovim/scripts/install-nvim.sh" >&2
    status=1
    continue
  fi
  (cd "$HERE" && XDG_CONFIG_HOME="$tmp/$v" XDG_DATA_HOME="$tmp/$v" XDG_STATE_HOME="$tmp/$v" \
    XDG_CACHE_HOME="$tmp/$v" BUSTED_OUTPUT="${BUSTED_OUTPUT:-TAP}" \
    timeout 300 "$nvim" --headless -u NONE -i NONE -n -c "luafile scripts/busted.lua") || status=1
done

step "end-to-end tests (pytest, both Neovim versions)"
(cd "$REPO" && timeout 1200 "$VENV/bin/pytest" tests/neovim -m editor -q -p no:cacheprovider "$@") || status=1

exit $status
