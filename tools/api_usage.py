"""Index of the retail_lab functions and classes each chapter uses.

Usage: python tools/api_usage.py [--check]
Writes book/_generated/api_usage.md (shown on the API reference page); ``--check`` exits 1 when
the committed file is out of date.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_generated" / "api_usage.md"


def used_names(code: str) -> set[str]:
    """Fully qualified retail_lab names a block of code imports or calls through a module."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    modules, names = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("retail_lab"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                try:
                    __import__(full)  # a submodule imported by name
                    modules[a.asname or a.name] = full
                except ImportError:
                    names.add(full)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("retail_lab"):
                    modules[a.asname or a.name] = a.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            names.add(f"{modules[node.value.id]}.{node.attr}")
    return names


def link(name: str) -> str:
    """A cross-reference to the name's entry below (shown without the ``retail_lab.`` prefix).

    A name a chapter imports from where it is re-exported (``retail_lab.set_seed``) resolves
    to its documented entry (``retail_lab.repro.set_seed``) through book/_ext/book_fixes.py.
    """
    return f"{{py:obj}}`{name.removeprefix('retail_lab.')} <{name}>`"


def table() -> str:
    lines = ["| chapter | retail_lab names it uses |", "|---|---|"]
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        # one program: imports in the setup cell serve every later cell
        names = used_names("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
        lines.append(f"| `{nb.stem}` | {', '.join(link(n) for n in sorted(names))} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = table()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print("book/_generated/api_usage.md is out of date; run `python tools/api_usage.py`")
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
