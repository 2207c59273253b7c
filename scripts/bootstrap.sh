#!/usr/bin/env bash
# Prepare a fresh Debian machine for twinprint: system libraries and fonts, then .venv.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   # WeasyPrint's text stack, fast font subsetting
  fonts-noto-cjk                                          # Chinese faces (Noto Sans/Serif CJK SC)
  poppler-utils qpdf                                      # pdftotext/pdffonts/pdftoppm, qpdf --check
  mupdf-tools ghostscript zbar-tools                      # independent readers: second/third renderer, ink separations, second QR decoder
  libzbar0                                                # zbar for pyzbar: preflight's second QR decoder
  chromium                                                # the studio's browser test (Playwright drives this one)
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  [ -n "$package" ] || continue
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PYTHON="$candidate"; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "bootstrap: Python >= 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run as root, or install them: apt-get install ${missing[*]}" >&2; exit 1
  fi
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "bootstrap: apt-get could not install: ${missing[*]} (is the package index reachable?)" >&2; exit 1
  fi
fi

stamp=.venv/.twinprint-installed
wanted=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "bootstrap: installing twinprint and its Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  echo "$wanted" > "$stamp"
fi
