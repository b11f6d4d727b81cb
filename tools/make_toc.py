"""Write _toc.yml from the chapter map (retail_lab.chapters), its one source.

The chapters, their order and the part captions come from ``CHAPTERS`` (``Chapter.part``
starts a new part); the pages before and after the chapters are listed here.

    python tools/make_toc.py           # rewrite _toc.yml
    python tools/make_toc.py --check   # exit 1 if _toc.yml is stale (tests/test_course.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retail_lab.chapters import CHAPTERS  # noqa: E402

ROOT_PAGE = "book/intro"
BEFORE = (("Course", ("book/course_map",)),)
AFTER = (("Reference", ("book/data", "book/execution", "book/api", "book/glossary",
                        "book/bibliography")),)


def parts() -> list[tuple[str, list[str]]]:
    """(caption, [page, ...]) for every part, in book order."""
    out = [(caption, list(pages)) for caption, pages in BEFORE]
    for ch in CHAPTERS:
        if ch.part or len(out) == len(BEFORE):
            if not ch.part:
                raise ValueError(f"the first chapter ({ch.file}) must name its part")
            out.append((ch.part, []))
        out[-1][1].append(ch.docname)
    out += [(caption, list(pages)) for caption, pages in AFTER]
    return out


def render() -> str:
    lines = ["# Table of contents, written by tools/make_toc.py from retail_lab/chapters.py:",
             "# edit the chapter map and run `python tools/make_toc.py`, not this file.",
             "# Chapter numbers follow the article's sections (see CONTRIBUTING.md).",
             "format: jb-book", f"root: {ROOT_PAGE}", "parts:"]
    for caption, pages in parts():
        lines += [f"  - caption: {caption}", "    chapters:"]
        lines += [f"      - file: {p}" for p in pages]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = ROOT / "_toc.yml"
    text = render()
    if "--check" in argv:
        if path.read_text(encoding="utf-8") != text:
            print("_toc.yml is stale: run `python tools/make_toc.py`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
