#!/usr/bin/env bash
# Install what a fresh machine of the supported kind lacks: uv, the locked Python environment,
# and (when the UI exists) its npm dependencies, build, and Debian Chromium for browser tests.
# Everything comes from package registries (PyPI, npm, Debian); nothing downloads at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1; then
  echo "[bootstrap] installing uv from PyPI"
  # into the interpreter's own scripts dir (on PATH wherever python3 is), so `uv run pytest` works in the
  # caller's shell too; --user (~/.local/bin, put on PATH above) only if that dir is not writable
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore uv 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --user uv
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi  # pyenv shims only appear after a rehash
  hash -r
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "[bootstrap] error: uv was installed but is not on PATH ($PATH)" >&2
  exit 1
fi
echo "[bootstrap] syncing the locked Python environment (uv sync --frozen)"
uv sync --frozen --quiet
if [ -f ui/package.json ]; then
  if [ ! -d ui/node_modules ]; then
    echo "[bootstrap] installing UI dependencies (npm ci)"
    (cd ui && npm ci --no-audit --no-fund --silent)
  fi
  echo "[bootstrap] building the UI"
  (cd ui && npm run --silent build)
fi
if [ -f ui/package.json ] && [ "${LAKECAST_NEED_CHROMIUM:-0}" = "1" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "[bootstrap] installing Debian chromium for browser tests"
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "[bootstrap] ready"
