#!/usr/bin/env bash
# Installs what the VS Code end-to-end tests need, idempotently:
#   - Debian packages (chromium, ripgrep, build tools for code-server's native modules)
#   - code-server 4.100.3 into ${DEEPSEEK_FIM_CACHE:-<repo>/.cache}/code-server (offline-safe recipe)
#   - the extension's npm dev dependencies (playwright-core among them)
# Prints the code-server binary path on its last line.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT_DIR="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$EXT_DIR/../.." && pwd)"
CACHE="${DEEPSEEK_FIM_CACHE:-$REPO/.cache}"
PREFIX="$CACHE/code-server"
MARKER="$PREFIX/.installed-$CODE_SERVER_VERSION"
NPM_FLAGS=(--no-audit --no-fund --loglevel=error)

log() { printf '[install-code-server] %s\n' "$*" >&2; }

APT_PACKAGES=(build-essential python3 pkg-config libx11-dev libkrb5-dev libxkbfile-dev libsecret-1-dev
  ripgrep chromium fonts-liberation)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq >&2
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -f "$MARKER" ]; then
  log "installing code-server $CODE_SERVER_VERSION into $PREFIX"
  rm -rf "$PREFIX"
  mkdir -p "$PREFIX"
  cd "$PREFIX"
  printf '{"name":"code-server-cache","private":true}\n' > package.json
  # code-server's postinstall downloads ripgrep from GitHub: skip scripts, then rebuild by hand.
  npm install "${NPM_FLAGS[@]}" --ignore-scripts "code-server@$CODE_SERVER_VERSION"
  npm rebuild argon2 --build-from-source
  cd node_modules/code-server/lib/vscode
  npm install "${NPM_FLAGS[@]}" --omit=dev --ignore-scripts
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  npm_config_yes=true npm rebuild
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
  (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
  (cd extensions && npm install "${NPM_FLAGS[@]}" --omit=dev)
  touch "$MARKER"
  log "code-server installed"
else
  log "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
fi

# playwright-core is a devDependency of the extension (it drives Debian's chromium; it downloads nothing).
if [ ! -d "$EXT_DIR/node_modules/playwright-core" ]; then
  log "installing the extension's npm packages (playwright-core among them)"
  (cd "$EXT_DIR" && npm ci "${NPM_FLAGS[@]}" >&2)
fi

echo "$PREFIX/node_modules/.bin/code-server"
