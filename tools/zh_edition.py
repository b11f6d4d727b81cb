"""The Chinese edition (中文版): translations stored beside the English, checked, and built.

Usage::

    python tools/zh_edition.py status [SOURCE ...]    # what needs (re-)translation, with the English diff
    python tools/zh_edition.py stub [SOURCE ...]      # add empty units for new English prose
    python tools/zh_edition.py done SOURCE [ID ...]   # after revising a translation: record the
                                                      # English it now translates (all outdated
                                                      # units of SOURCE when no ID is given)
    python tools/zh_edition.py sources               # the translated sources and their stores
    python tools/zh_edition.py build [--html DIR]     # the Chinese book into _build/html/zh

One source of code and outputs: a Chinese chapter is its English notebook with each Markdown
cell replaced by its translation; the code cells and their stored outputs are the English
ones, so every number (glued values included) is the same in both editions and nothing runs
again. Only prose is translated.

The store
---------
``translations/zh/<source>.yml`` holds one *unit* per piece of English prose:

- a notebook: each Markdown cell (``id``: the cell id) and, for each code cell that draws a
  figure, the figure's caption (``id``: ``<cell id>/figure``; its English is the cell's code,
  since the figure's title is written there);
- a Markdown page (``book/*.md``): each section, from a heading to the next (``id``: the
  heading's slug);
- ``book/glossary.yml``: each term's definition (``id``: the term);
- ``retail_lab/exercises``: each exercise's hint (``id``: the exercise number, ``"6.1.2"``);
- ``glued-text`` (``translations/zh/glued-text.yml``): each glued value that is text rather
  than a number (a verdict such as "met", a model's name, a date), by ``<chapter file>:<glue
  name>``; the Chinese chapter shows its translation where the English shows the value.

Each unit stores ``sha`` (the first 12 hex digits of the SHA-256 of the English it
translates), ``en`` (that English) and ``zh``. :func:`problems` reports a unit whose English
has changed (``sha`` differs), a missing or empty translation, a unit the English no longer
has, and a translation that lost a glue reference, cross-reference, label, citation key, math
block, directive, exercise id or glossary link of its English. ``tests/test_zh_edition.py``
fails on any of them.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "translations" / "zh"
GLOSSARY = "book/glossary.yml"
HINTS = "retail_lab/exercises"
GLUE = "glued-text"
#: Pages built from the chapter map or the glossary rather than written: not translated as pages.
GENERATED_PAGES = ("book/glossary.md",)
WORK = ROOT / "_build" / "zh"
TITLE_ZH = "智能零售中的 AI 大模型"


# ---- units ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    id: str
    kind: str        # markdown, figure, section, definition, hint
    en: str

    @property
    def sha(self) -> str:
        return sha(self.en)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def sources() -> list[str]:
    """Every translated source, relative to the repository root: the book's pages and
    chapters in table-of-contents order, then the glossary and the exercise hints."""
    out = []
    for f in _toc_files():
        path = f + ".ipynb" if (ROOT / (f + ".ipynb")).exists() else f + ".md"
        if path not in GENERATED_PAGES:
            out.append(path)
    return out + [GLOSSARY, HINTS, GLUE]


def store_path(source: str) -> Path:
    """Where the units of ``source`` are stored. The exercise hints are package data (the
    checker answers in Chinese from them: ``check(..., lang="zh")``), stored as JSON."""
    if source == HINTS:
        return ROOT / HINTS / "hints_zh.json"
    return STORE / (source.rstrip("/") + ".yml")


_RECORD = "application/papermill.record/text/plain"


def glued_text(nb: dict) -> dict[str, str]:
    """The notebook's glued values that are text with letters in it (not numbers), by name."""
    import ast

    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            raw = o.get("data", {}).get(_RECORD)
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if raw is None or name is None or raw[:1] not in "'\"":
                continue
            value = ast.literal_eval(raw)
            if isinstance(value, str) and re.search("[A-Za-z]", value):
                out[name] = value
    return out


def has_figure(cell: dict) -> bool:
    return cell["cell_type"] == "code" and any(
        "image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
        for o in cell.get("outputs", []))


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}|:{3,})")
_HEADING_LINE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")


def slug(text: str) -> str:
    s = re.sub(r"[^\w\u3400-\u9fff]+", "-", text.lower()).strip("-")
    return s or "section"


def page_sections(md: str) -> list[tuple[str, str]]:
    """A Markdown page cut at its headings (outside fenced blocks): (slug, text) pairs; text
    before the first heading is ``"top"``. Joining the texts with newlines gives the page."""
    lines = md.split("\n")
    cuts, fence = [], None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and line.strip() == mark:
                fence = None
            continue
        if fence is None and _HEADING_LINE.match(line):
            cuts.append(i)
    if not cuts or cuts[0] != 0:
        cuts.insert(0, 0)
    out, seen = [], Counter()
    for a, b in zip(cuts, cuts[1:] + [len(lines)]):
        text = "\n".join(lines[a:b])
        h = _HEADING_LINE.match(lines[a])
        key = slug(h.group(2)) if h else "top"
        seen[key] += 1
        out.append((key if seen[key] == 1 else f"{key}-{seen[key]}", text))
    return out


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def units(source: str) -> list[Unit]:
    """The English prose units of ``source`` (see the module docstring)."""
    if source == GLOSSARY:
        return [Unit(e.name, "definition", e.definition) for e in _glossary().load()]
    if source == GLUE:
        return [Unit(f"{Path(nb).stem}:{name}", "glue", value) for nb in sources() if nb.endswith(".ipynb")
                for name, value in glued_text(_notebook(ROOT / nb)).items()]
    if source == HINTS:
        sys.path.insert(0, str(ROOT))
        from retail_lab.exercises import questions

        return [Unit(q.id, "hint", q.hint) for q in questions() if q.hint]
    path = ROOT / source
    if source.endswith(".ipynb"):
        out = []
        for cell in _notebook(path)["cells"]:
            if cell["cell_type"] == "markdown":
                out.append(Unit(cell["id"], "markdown", "".join(cell["source"])))
            elif has_figure(cell):
                out.append(Unit(cell["id"] + "/figure", "figure", "".join(cell["source"])))
        return out
    return [Unit(key, "section", text) for key, text in page_sections(path.read_text(encoding="utf-8"))]


# ---- the store --------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value):
    style = "|" if "\n" in value and not re.search(r"[ \t]\n|[ \t]$", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def load_store(source: str) -> dict[str, dict]:
    """The stored units of ``source``, by id (empty when there is no store yet)."""
    p = store_path(source)
    if not p.exists():
        return {}
    text = p.read_text(encoding="utf-8")
    data = (json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)) or {}
    return {u["id"]: u for u in data.get("units", [])}


def write_store(source: str, stored: dict[str, dict]) -> None:
    order = [u.id for u in units(source)]
    rank = {k: i for i, k in enumerate(order)}
    items = sorted(stored.values(), key=lambda u: rank.get(u["id"], len(rank)))
    p = store_path(source)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".json":
        p.write_text(json.dumps({"source": source, "note": "Chinese hints of the exercises; see "
                                 "tools/zh_edition.py", "units": [
            {"id": u["id"], "sha": u["sha"], "en": u["en"], "zh": u.get("zh")} for u in items]},
            indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    head = (f"# Chinese translation of {source}: one unit per piece of English prose (see\n"
            "# tools/zh_edition.py). Edit `zh`; after revising a unit whose English changed, run\n"
            f"# python tools/zh_edition.py done {source} <id>\n")
    body = yaml.dump({"source": source, "units": [
        {"id": u["id"], "sha": u["sha"], "en": u["en"], "zh": u.get("zh")} for u in items]},
        Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    p.write_text(head + body, encoding="utf-8")


# ---- what a translation must keep ---------------------------------------------------------

_ROLE = re.compile(r"\{([A-Za-z][\w:+.-]*)\}`([^`]*)`")
_LABEL = re.compile(r"^\(([^()\s]+)\)=\s*$", re.M)
_MATH_BLOCK = re.compile(r"\$\$(.+?)\$\$", re.S)
_DIRECTIVE = re.compile(r"^[ \t]*(?:`{3,}|:{3,})\{([\w:-]+)\}[ \t]*(.*?)[ \t]*$", re.M)
_OPTION_LABEL = re.compile(r"^[ \t]*:label:[ \t]*(\S+)", re.M)
_CHECK = re.compile(r"""check\(\s*["'](\d+(?:\.\d+)*)["']""")
_TARGET = re.compile(r"<([^<>]+)>\s*$")


def _role_target(role: str, content: str) -> str:
    if role.startswith("glue"):
        return content.split(":")[0].strip()
    m = _TARGET.search(content)
    return (m.group(1) if m else content).strip()


def keep(text: str) -> Counter:
    """What a translation of ``text`` must contain: glue references, cross-references and
    their targets, labels, citation keys, math blocks, directives with their arguments and
    labels, exercise ids and glossary links (by target)."""
    out = Counter()
    for role, content in _ROLE.findall(text):
        if role.startswith("cite"):
            for key in content.split(","):
                out[f"{{{role}}} {key.strip()}"] += 1
        elif role.startswith(("glue", "ref", "numref", "doc", "eq", "term", "download", "prf")):
            out[f"{{{role}}} {_role_target(role, content)}"] += 1
    for label in _LABEL.findall(text):
        out[f"label ({label})="] += 1
    for body in _MATH_BLOCK.findall(text):
        out["$$" + " ".join(body.split()) + "$$"] += 1
    for name, arg in _DIRECTIVE.findall(text):
        out[f"directive {{{name}}} {arg}".rstrip()] += 1
    for label in _OPTION_LABEL.findall(text):
        out[f":label: {label}"] += 1
    for ex in _CHECK.findall(text):
        out[f'check("{ex}"'] += 1
    return out


def lost(en: str, zh: str, kind: str = "markdown") -> list[str]:
    """What the translation ``zh`` dropped from ``en`` (empty when complete). Glossary links
    count once each: a translation may link a term once where the English links it twice."""
    if kind in ("figure", "hint", "glue"):
        return []
    need, have = keep(en), keep(zh)
    missing = []
    for item, n in need.items():
        if item.startswith("{term}"):
            if not have[item]:
                missing.append(item)
        elif have[item] < n:
            missing.append(item if n == 1 else f"{item} (x{n}, found {have[item]})")
    return missing


def problems(source: str) -> list[str]:
    """Every reason the Chinese of ``source`` is not current and complete."""
    current = {u.id: u for u in units(source)}
    stored = load_store(source)
    out = []
    for uid, u in current.items():
        s = stored.get(uid)
        if s is None or not (s.get("zh") or "").strip():
            out.append(f"{source} [{uid}]: no Chinese translation")
            continue
        if s.get("sha") != u.sha or sha(s.get("en", "")) != u.sha:
            out.append(f"{source} [{uid}]: the English changed after it was translated "
                       f"(python tools/zh_edition.py status {source})")
            continue
        for item in lost(u.en, s["zh"], u.kind):
            out.append(f"{source} [{uid}]: the Chinese lacks {item}")
    for uid in stored.keys() - current.keys():
        out.append(f"{source} [{uid}]: translates prose the English no longer has (remove it)")
    if not out and source not in (GLOSSARY, HINTS, GLUE):
        out += [f"{source}: {m}" for m in missing_terms(source)]
    return out


def _glossary():
    sys.path.insert(0, str(ROOT / "tools"))
    import glossary

    return glossary


def missing_terms(source: str) -> list[str]:
    """Glossary terms the English of ``source`` links whose Chinese form (``zh`` or a
    ``zh_alias`` in book/glossary.yml) appears nowhere in the Chinese prose (link targets
    aside, which hold the Chinese form anyway)."""
    g = _glossary()
    by_name = {e.name: e for e in g.load()}
    stored = load_store(source)
    en = "\n".join(u.en for u in units(source))
    zh = "\n".join((stored[u.id].get("zh") or "") for u in units(source) if u.id in stored)
    shown_zh = _ROLE.sub(lambda m: m.group(2).split("<")[0] if m.group(1) == "term" else " ", zh)
    out = []
    for target in sorted({_role_target("term", c) for r, c in _ROLE.findall(en) if r == "term"}):
        e = by_name.get(target)
        if e is not None and not any(form in shown_zh for form in (e.zh, *e.zh_aliases)):
            out.append(f"the glossary term {e.term!r} appears nowhere in its Chinese form {e.zh!r}")
    return out


# ---- the Chinese book -------------------------------------------------------------------

def _cell_source(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _zh(stored: dict, unit: Unit) -> str:
    s = stored.get(unit.id)
    if s is None or not (s.get("zh") or "").strip():
        raise KeyError(f"no Chinese for {unit.id}: run python tools/zh_edition.py status")
    return s["zh"]


def zh_notebook(source: str) -> dict:
    """The Chinese chapter: the English notebook, its Markdown translated and a caption under
    each figure; code cells and outputs untouched."""
    nb = _notebook(ROOT / source)
    stored = load_store(source)
    glue = load_store(GLUE)
    stem = Path(source).stem
    out = copy.deepcopy(nb)
    cells = []
    for cell in out["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None and f"{stem}:{name}" in glue and _RECORD in o.get("data", {}):
                o["data"][_RECORD] = repr(_zh(glue, Unit(f"{stem}:{name}", "glue", "")))
        if cell["cell_type"] == "markdown":
            cell["source"] = _cell_source(_zh(stored, Unit(cell["id"], "markdown", "")))
        cells.append(cell)
        if has_figure(cell):
            caption = _zh(stored, Unit(cell["id"] + "/figure", "figure", "")).strip()
            cells.append({"cell_type": "markdown", "id": f"{cell['id']}-zh",
                          "metadata": {"tags": ["figure-caption"]},
                          "source": _cell_source(f"*图：{caption}*" if not caption.startswith("*") else caption)})
    out["cells"] = cells
    out.setdefault("metadata", {})["retail_lab"] = {"edition": "zh", "source": source}
    return out


def zh_page(source: str) -> str:
    stored = load_store(source)
    return "\n".join(_zh(stored, Unit(key, "section", "")) for key, _ in
                     page_sections((ROOT / source).read_text(encoding="utf-8")))


def zh_glossary_page() -> str:
    glossary = _glossary()

    stored = load_store(GLOSSARY)
    entries = [glossary.Entry(**{**e.__dict__, "definition": _zh(stored, Unit(e.name, "definition", ""))})
               for e in glossary.load()]
    return glossary.render_page(entries, lang="zh")


def hint(exercise: str) -> str | None:
    """The Chinese hint of an exercise (``"6.1.2"``), or None when it has none."""
    s = load_store(HINTS).get(exercise)
    return s.get("zh") if s else None


def write_sources(dest: Path) -> None:
    """The Chinese book's source tree in ``dest`` (a Jupyter Book of its own)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "book").mkdir(parents=True)
    for name in ("_ext", "_static", "_extra", "_generated", "references.bib"):
        (dest / "book" / name).symlink_to(ROOT / "book" / name)
    for folder in ("student", "chapters"):       # the Chinese reader editions (downloads)
        (dest / folder).mkdir()
        (dest / folder / "zh").symlink_to(ROOT / folder / "zh")
    for source in sources():
        if source.endswith(".ipynb"):
            p = dest / source
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(zh_notebook(source), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        elif source.endswith(".md"):
            (dest / source).write_text(zh_page(source), encoding="utf-8")
    (dest / "book" / "glossary.md").write_text(zh_glossary_page(), encoding="utf-8")
    shutil.copy(ROOT / "_toc.yml", dest / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = TITLE_ZH
    sc = config["sphinx"]["config"]
    sc["language"] = "zh_CN"
    sc["book_edition"] = "zh"
    sc["html_theme_options"]["search_bar_text"] = "搜索本书……"
    (dest / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                                      encoding="utf-8")


def build(html: Path, work: Path = WORK, strict: bool = True) -> Path:
    """Build the Chinese book into ``html`` (the English book's ``_build/html/zh``)."""
    missing = [p for s in sources() for p in problems(s)]
    if missing:
        raise SystemExit("the Chinese edition is not complete:\n  " + "\n  ".join(missing[:40])
                         + ("\n  ..." if len(missing) > 40 else ""))
    src = work / "src"
    write_sources(src)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--builder", "html"]
    if strict:
        cmd += ["-W", "--keep-going"]
    subprocess.run(cmd, check=True)
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(src / "_build" / "html", html)
    return html


# ---- commands -----------------------------------------------------------------------------

def status(which: list[str]) -> int:
    n = 0
    for source in which:
        stored = load_store(source)
        for u in units(source):
            s = stored.get(u.id)
            if s is None or not (s.get("zh") or "").strip():
                print(f"MISSING   {source} [{u.id}]")
                n += 1
            elif s.get("sha") != u.sha:
                print(f"OUTDATED  {source} [{u.id}]: the English changed:")
                diff = difflib.unified_diff(s.get("en", "").splitlines(), u.en.splitlines(),
                                            "translated", "now", lineterm="", n=1)
                print("    " + "\n    ".join(list(diff)[2:]))
                n += 1
        for p in problems(source):
            if "lacks" in p or "no longer has" in p or "appears nowhere" in p:
                print(f"CHECK     {p}")
                n += 1
    print(f"{n} unit(s) to translate or check" if n else "the Chinese edition is current")
    return 1 if n else 0


def stub(which: list[str]) -> None:
    for source in which:
        stored = load_store(source)
        for u in units(source):
            if u.id not in stored:
                stored[u.id] = {"id": u.id, "sha": u.sha, "en": u.en, "zh": None}
        write_store(source, stored)


def done(source: str, ids: list[str]) -> None:
    stored = load_store(source)
    current = {u.id: u for u in units(source)}
    for uid in ids or [k for k, u in current.items() if k in stored and stored[k]["sha"] != u.sha]:
        if uid not in current or uid not in stored:
            raise SystemExit(f"{source} has no unit {uid!r}")
        stored[uid].update(sha=current[uid].sha, en=current[uid].en)
    for uid in stored.keys() - current.keys():
        del stored[uid]
    write_store(source, stored)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("status", "stub"):
        sub.add_parser(name).add_argument("source", nargs="*")
    d = sub.add_parser("done")
    d.add_argument("source")
    d.add_argument("ids", nargs="*")
    sub.add_parser("sources")
    b = sub.add_parser("build")
    b.add_argument("--html", type=Path, default=ROOT / "_build" / "html" / "zh")
    b.add_argument("--work", type=Path, default=WORK)
    args = ap.parse_args(argv)
    if args.cmd == "status":
        return status(args.source or sources())
    if args.cmd == "stub":
        stub(args.source or sources())
    elif args.cmd == "done":
        done(args.source, args.ids)
    elif args.cmd == "sources":
        for s in sources():
            print(f"{s}  ->  {store_path(s).relative_to(ROOT)}")
    elif args.cmd == "build":
        print(f"built the Chinese edition into {build(args.html, args.work)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
