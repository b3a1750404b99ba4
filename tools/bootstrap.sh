#!/usr/bin/env bash
# Creates .venv from requirements.lock and installs the Debian packages the suite relies on.
# Idempotent: re-running only does what is missing. Called by the Makefile.
set -euo pipefail
cd "$(dirname "$0")/.."

# Usage: tools/bootstrap.sh [--test]   (--test also installs what the test suite needs)
APT_FILES=("tools/apt-packages.txt")
STAMP=".venv/.installed"
if [[ "${1:-}" == "--test" ]]; then
  APT_FILES+=("tools/apt-packages-test.txt")
  STAMP=".venv/.installed-test"
fi
PYTHON="${PYTHON:-python3}"

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < <(cat "${APT_FILES[@]}")
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
if [[ ! -x .venv/bin/uv ]]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.9"
fi
.venv/bin/uv pip install -q --python .venv/bin/python -r requirements.lock
# Byte-compile the environment: every build starts 5 Python processes (build, 2 workers, 2
# kernels) that import numpy/pandas/matplotlib, and without .pyc files (PYTHONDONTWRITEBYTECODE
# is common in containers) each compiles them from source: ~2.5 s of CPU per process, ~11 s
# per build. compileall writes them whatever that variable says and skips up-to-date files.
.venv/bin/python -m compileall -q -j 0 "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null || true
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
# The report notebooks run on this kernel name, whatever the user's own Jupyter set-up is.
.venv/bin/python -m ipykernel install --sys-prefix --name tccsd-review --display-name "tccsd-review" >/dev/null
touch "$STAMP"
