"""Copy the npm-installed mermaid and MathJax into book/_static/vendor (run by `make`).

The book's HTML then loads both from its own _static folder, so it renders math and
diagrams offline. Versions are pinned in tools/vendor/package-lock.json.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "tools" / "vendor" / "node_modules"
DEST = ROOT / "book" / "_static" / "vendor"

COPIES = [
    # (source inside node_modules, destination inside DEST)
    ("mermaid/dist/mermaid.esm.min.mjs", "mermaid/mermaid.esm.min.mjs"),
    ("mermaid/dist/chunks/mermaid.esm.min", "mermaid/chunks/mermaid.esm.min"),
    ("mermaid/LICENSE", "mermaid/LICENSE"),
    ("mathjax/es5", "mathjax"),
    ("mathjax/LICENSE", "mathjax/LICENSE"),
]


def main() -> int:
    if not NODE.is_dir():
        print(f"error: {NODE.relative_to(ROOT)} is missing; run `npm ci --prefix tools/vendor` first",
              file=sys.stderr)
        return 1
    if DEST.exists():
        shutil.rmtree(DEST)
    for src, dst in COPIES:
        s, d = NODE / src, DEST / dst
        if not s.exists():
            print(f"error: {s.relative_to(ROOT)} not found; the npm package layout changed",
                  file=sys.stderr)
            return 1
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            shutil.copy2(s, d)
    size = sum(f.stat().st_size for f in DEST.rglob("*") if f.is_file())
    print(f"vendored mermaid and MathJax into {DEST.relative_to(ROOT)} ({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
