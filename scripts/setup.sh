#!/usr/bin/env bash
# One-time set-up on Debian (as root, or with sudo available): system libraries,
# then a virtual environment in .venv with masterbox and its test tools.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# ffmpeg: check's lossy peaks (AAC, MP3); libebur128-1: the meter tests' second opinion;
# chromium: the browser page's tests (headless, driven over its DevTools protocol)
APT_PKGS=(libsndfile1 libportaudio2 jackd2 systemd tmux ffmpeg libebur128-1 chromium espeak-ng)
PY=${PYTHON:-python3}

need=()
for p in "${APT_PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${need[*]} with apt-get"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

"$PY" - <<'PYV'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: Python {sys.version.split()[0]} is too old; masterbox needs 3.11 to 3.13")
PYV

if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,bench]"
# axe-core: the page's accessibility audit in the tests (pinned, checked)
.venv/bin/python scripts/fetch_axe.py .venv/share/axe-core
touch .venv/.installed
echo "setup: ready (.venv)"
