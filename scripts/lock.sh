#!/usr/bin/env bash
# Re-resolve requirements.in into the exact pins of requirements.lock (Python 3.10, Linux).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
ensure_venv_tools
UV_PYTHON_DOWNLOADS=never "$VENV/bin/uv" pip compile requirements.in \
  --python-version 3.10 --python-platform x86_64-unknown-linux-gnu -o requirements.lock
