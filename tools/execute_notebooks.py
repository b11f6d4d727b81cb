"""Re-execute chapter notebooks in place, each from a fresh kernel, and report progress.

Usage: python tools/execute_notebooks.py [notebooks/01_*.ipynb ...]   (default: all)
Needs the data directory (RETAIL_LAB_DATA) like the tests do.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbrun import ROOT, execute  # noqa: E402


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for i, p in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] executing {p.relative_to(ROOT)} ...", flush=True)
        seconds = execute(p, inplace=True)
        print(f"[{i}/{len(paths)}] {p.name}: {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
