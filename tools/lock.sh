#!/usr/bin/env bash
# Regenerate requirements/lock.txt from pyproject.toml's ranges: `make lock` (or
# `bash tools/lock.sh`). The one documented way the lock file is made.
#
# pip resolves the package with every extra (book, test, lab, keras) in a scratch virtual
# environment, without installing anything (--dry-run --report), and the lock lists every
# distribution of the resolution as NAME==VERSION. By default the versions already in the
# lock file are kept (they are passed as constraints: the stored notebook outputs were made
# with them), so a new dependency is added at its newest version and nothing else moves;
# UPGRADE=1 resolves everything afresh to the newest versions the ranges allow (then
# re-execute the chapters: `make notebooks`).
#
# The lock holds no hashes: it is used as a pip constraints file (`--constraint`) together
# with an editable install of the package, and pip refuses editable installs when a
# constraint carries hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
LOCK=requirements/lock.txt
EXTRAS=${EXTRAS:-book,test,lab,keras}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --upgrade "pip>=24"
keep=()
if [[ "${UPGRADE:-0}" != 1 && -f $LOCK ]]; then
    grep -v '^#' "$LOCK" > "$tmp/keep.txt"
    keep=(--constraint "$tmp/keep.txt")
fi
"$tmp/venv/bin/python" -m pip install --quiet --dry-run --ignore-installed \
    --report "$tmp/report.json" "${keep[@]}" ".[$EXTRAS]"

"$tmp/venv/bin/python" - "$tmp/report.json" "$LOCK" "$EXTRAS" "${UPGRADE:-0}" <<'PY'
import json, platform, sys
from importlib.metadata import version

report, lock, extras, upgrade = sys.argv[1:]
rep = json.load(open(report))
pins = sorted({(m["metadata"]["name"], m["metadata"]["version"]) for m in rep["install"]
               if m["metadata"]["name"].replace("_", "-").lower() != "retail-lab"},
              key=lambda p: p[0].lower())
env = rep["environment"]
header = [
    "# Exact versions the book's stored outputs were made with (pip constraints file).",
    "# Made by `make lock` (tools/lock.sh) from pyproject.toml's ranges with every extra",
    f"# ({extras}), {'upgraded to the newest versions' if upgrade == '1' else 'keeping the versions already pinned'}:",
    f"# pip {version('pip')} resolution on Python {env['python_full_version']}, {env['sys_platform']} {env['platform_machine']}.",
    "# Do not edit by hand: change pyproject.toml, then run `make lock` (UPGRADE=1 to move every pin).",
]
with open(lock, "w") as f:
    f.write("\n".join(header + [f"{n}=={v}" for n, v in pins]) + "\n")
print(f"wrote {lock}: {len(pins)} pins")
PY
