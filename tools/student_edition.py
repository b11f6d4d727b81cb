"""Make the student edition: every chapter without solutions and without outputs.

Usage: python tools/student_edition.py [--check]

Writes student/NN_*.ipynb from notebooks/NN_*.ipynb: ```{solution}``` blocks are removed from
markdown cells, code cells tagged ``solution`` are dropped, and all outputs and execution
counts are cleared so students run each chapter themselves. ``--check`` exits 1 if the
committed student edition differs from what the sources produce (CI runs it via the tests).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks"
DEST = ROOT / "student"
SOLUTION = re.compile(r"\n*```\{solution\}.*?\n```[ \t]*(?=\n|$)", re.DOTALL)


def student_version(nb: dict) -> dict:
    """Return a copy of a notebook (as a dict) with solutions and outputs removed."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            continue
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            cell["source"] = SOLUTION.sub("", text)
        elif cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    out["cells"] = cells
    return out


def render(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    sources = sorted(SRC.glob("[0-9][0-9]_*.ipynb"))
    DEST.mkdir(exist_ok=True)
    for src in sources:
        text = render(student_version(json.loads(src.read_text(encoding="utf-8"))))
        dest = DEST / src.name
        if check:
            if not dest.exists() or dest.read_text(encoding="utf-8") != text:
                stale.append(dest.name)
        else:
            dest.write_text(text, encoding="utf-8")
    extra = sorted(p.name for p in DEST.glob("*.ipynb") if not (SRC / p.name).exists())
    if check:
        if stale or extra:
            print(f"student edition is out of date ({', '.join(stale + extra)}); "
                  "run `python tools/student_edition.py`")
            return 1
        print(f"student edition is current ({len(sources)} notebooks)")
        return 0
    for name in extra:
        (DEST / name).unlink()
    print(f"wrote {len(sources)} student notebooks to student/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
