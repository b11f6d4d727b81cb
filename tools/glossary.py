"""The book's glossary: one YAML source, a generated page, and links from every chapter.

Usage::

    python tools/glossary.py                      # regenerate book/glossary.md from book/glossary.yml
    python tools/glossary.py --check-page         # exit 1 if book/glossary.md is stale
    python tools/glossary.py --link [NB ...]      # link each term's first prose use in each chapter
    python tools/glossary.py --link --dry-run     # print what --link would change, write nothing
    python tools/glossary.py --check [NB ...]     # exit 1 if a chapter's first use of a term is unlinked

``book/glossary.yml`` is the single source of the book's term pairs (English and Chinese). Each
entry has

``term``
    the English term as displayed ("Early stopping", "Convolutional neural network, CNN");
``zh``
    its Chinese form ("早停"); the Sphinx glossary term is ``"<term> (<zh>)"``, the target of
    every ``{term}`` role;
``aliases``
    the English spellings that count as a use of the term in prose. An alias with no lowercase
    letter or with a digit ("EASE", "MAP", "NDCG@10") matches case-sensitively, any other
    case-insensitively; every alias matches a whole word (a letter, digit or ``_`` on either
    side, or ``-``, ``/``, ``.`` or ``@`` just before it, means "inside another word", so "AUC"
    is not found in "MAUC" nor "batch" in "mini-batch"; "transformer-based" does use
    "transformer"), an optional plural ``s``/``es`` and a cutoff ``@k`` ("NDCG@10") may follow,
    and a space matches any run of white space (prose wraps lines);
``definition``
    one or two sentences of Markdown ({term} and {cite} roles allowed);
``theme``
    the section of the glossary page the entry belongs to (one of ``THEMES``);

and optionally ``zh_aliases`` (other accepted Chinese forms, for the Chinese edition),
``case_sensitive: true`` (force case-sensitive matching of every alias, e.g. "Adam"), and
``exclude`` (regular expressions: a match of this entry's aliases that lies inside a match of
one of them is not a use, e.g. ``price sensitivity`` for the privacy term "sensitivity").

A chapter's prose is scanned leftmost-longest over all aliases of all terms at once, so
"implicit feedback" is one use of *Implicit feedback*, not also a use of *Feedback loop*.
Skipped: headings, code (fenced and inline), math (``$...$``, ``$$...$$``), MyST roles and
substitutions, Markdown links and images, HTML, directive fences and their ``:option:`` lines,
and the bodies of literal directives (code, mermaid, math, ...). Directive bodies that hold
prose (exercise, solution, note, ...) and tables are linked.

A link keeps the reader's text and targets the Sphinx term:
``{term}`early stopping <Early stopping (早停)>```. Only markdown cell sources change; the
notebook is written back as the repository stores it (``json.dump(indent=1,
ensure_ascii=False)`` plus a final newline), so everything else stays byte-identical.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "book" / "glossary.yml"
PAGE = ROOT / "book" / "glossary.md"
NOTEBOOKS = ROOT / "notebooks"

#: The glossary page's sections, in page order: theme key -> heading.
THEMES = {
    "models": "Models and deep learning (模型与深度学习)",
    "data": "Retail data and pipelines (零售数据与流程)",
    "recsys": "Recommendation (推荐)",
    "experiments": "Experiments and statistics (实验与统计)",
    "marketing": "Marketing and uplift (营销与增益)",
    "inventory": "Forecasting and inventory (预测与库存)",
    "service": "Customer service and text (客户服务与文本)",
    "trust": "Trends and challenges: data quality, interpretability, privacy, fusion (趋势与挑战)",
}
KEYS = {"term", "zh", "aliases", "definition", "theme", "zh_aliases", "case_sensitive", "exclude"}
REQUIRED = ("term", "zh", "aliases", "definition", "theme")
WIDTH = 92  # the page's line width
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

#: Directives whose body is not prose: nothing inside them is linked.
LITERAL_DIRECTIVES = {"code", "code-block", "code-cell", "sourcecode", "mermaid", "math",
                      "glossary", "bibliography", "raw", "eval-rst", "toctree",
                      "tableofcontents", "csv-table", "literalinclude", "graphviz"}
ROLE = re.compile(r"\{([A-Za-z][\w:+.-]*)\}(`+)(.*?)\2", re.DOTALL)
TERM_TARGET = re.compile(r"^\s*(?:(.*?)\s*<([^<>]+)>|([^<>]+?))\s*$", re.DOTALL)
_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,}|:{3,})[ \t]*(\{([A-Za-z][\w:+.-]*)\})?(.*)$")
_OPTION = re.compile(r"^[ \t]*:[\w-]+:.*$")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t].*)?$")
#: Inline constructs that are never linked (masked before matching), in order of precedence.
_INLINE = re.compile(
    r"<!--.*?-->"                                     # HTML comment
    r"|\{[A-Za-z][\w:+.-]*\}(`+).*?\1"                # a MyST role, its content included
    r"|(`+).*?\2"                                     # a code span
    r"|\{\{.*?\}\}"                                   # a MyST substitution
    r"|(?<!\\)\$\$.*?(?<!\\)\$\$"                    # display math
    r"|(?<![\\$])\$(?!\s)(?:[^$\\\n]|\\.|\n(?!\s*\n))+?(?<!\s)(?<!\\)\$"  # inline math
    r"|\\\(.*?\\\)|\\\[.*?\\\]"                       # LaTeX-style math
    r"|!?\[[^\]\n]*\]\([^)\n]*\)"                     # link or image, text and target
    r"|!?\[[^\]\n]*\]\[[^\]\n]*\]"                    # reference link
    r"|<https?://[^>\s]+>|https?://\S+"               # autolink, bare URL
    r"|</?[A-Za-z][^>\n]*>",                          # HTML tag
    re.DOTALL)
_MASK = "\x00"


# ---- the source -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    term: str
    zh: str
    aliases: tuple[str, ...]
    definition: str
    theme: str
    zh_aliases: tuple[str, ...] = ()
    case_sensitive: bool = False
    exclude: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The Sphinx glossary term, the target of ``{term}`` roles: "English (中文)"."""
        return f"{self.term} ({self.zh})"

    def alias_pattern(self, alias: str) -> str:
        """The regular expression for one alias (see the module docstring for the rules)."""
        body = r"\s+".join(re.escape(w) for w in alias.split())
        suffix = "" if alias[-1:].isdigit() else "(?:e?s)?"  # a plural
        if "@" not in alias:
            suffix += r"(?:@\d+)?"  # a cutoff: NDCG@10, Recall@20
        sensitive = self.case_sensitive or alias_is_case_sensitive(alias)
        core = body + suffix
        return f"(?<![\\w\\-/.@]){core if sensitive else f'(?i:{core})'}(?!\\w)"


def alias_is_case_sensitive(alias: str) -> bool:
    """An alias with no lowercase letter, or with a digit, is matched case-sensitively."""
    return not any(c.islower() for c in alias) or any(c.isdigit() for c in alias)


def _validate(raw: list, path: Path) -> list[Entry]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: expected a non-empty YAML list of entries, got {type(raw).__name__}")
    entries = []
    for i, item in enumerate(raw):
        where = f"{path}: entry {i + 1}" + (f" ({item.get('term')!r})" if isinstance(item, dict) else "")
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a mapping with keys {REQUIRED}, got {item!r}")
        unknown = set(item) - KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(KEYS)}")
        missing = [k for k in REQUIRED if not item.get(k)]
        if missing:
            raise ValueError(f"{where}: missing or empty {missing}; every entry needs {REQUIRED}")
        for key in ("term", "zh", "definition", "theme"):
            if not isinstance(item[key], str):
                raise ValueError(f"{where}: {key} must be a string, got {item[key]!r}")
        for key in ("aliases", "zh_aliases", "exclude"):
            value = item.get(key, [])
            if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
                raise ValueError(f"{where}: {key} must be a list of non-empty strings, got {value!r}")
        if item["theme"] not in THEMES:
            raise ValueError(f"{where}: theme {item['theme']!r} is not one of {list(THEMES)}")
        if not CJK.search(item["zh"]):
            raise ValueError(f"{where}: zh must contain Chinese characters, got {item['zh']!r}")
        if any(c in item["term"] + item["zh"] for c in "<>`"):
            raise ValueError(f"{where}: term and zh may not contain <, > or a backtick "
                             "(they become the target of {term} roles)")
        for pattern in item.get("exclude", []):
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"{where}: exclude pattern {pattern!r} is not a regular expression: {err}")
        entries.append(Entry(term=item["term"], zh=item["zh"], aliases=tuple(item["aliases"]),
                             definition=item["definition"].strip(), theme=item["theme"],
                             zh_aliases=tuple(item.get("zh_aliases", [])),
                             case_sensitive=bool(item.get("case_sensitive", False)),
                             exclude=tuple(item.get("exclude", []))))
    _check_unique(entries, path)
    return entries


def _check_unique(entries: list[Entry], path: Path) -> None:
    seen: dict[str, str] = {}
    for e in entries:
        for kind, key in [("term", e.name.casefold()), ("term", e.term.casefold())]:
            if key in seen and seen[key] != e.term:
                raise ValueError(f"{path}: {kind} {key!r} of {e.term!r} duplicates {seen[key]!r}")
            seen[key] = e.term
    owner: dict[str, str] = {}
    for e in entries:
        for alias in e.aliases:
            key = " ".join(alias.casefold().split())  # "X" and "x" would compete for "X"
            if key in owner:
                raise ValueError(f"{path}: alias {alias!r} of {e.term!r} is already an alias of "
                                 f"{owner[key]!r}; an alias must name one term")
            owner[key] = e.term


def load(path: Path = SOURCE) -> list[Entry]:
    """The glossary entries of ``path`` (book/glossary.yml), validated."""
    return _validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")), Path(path))


# ---- the page -------------------------------------------------------------------------------

def _zh_heading(heading: str) -> str:
    """"Recommendation (推荐)" -> "推荐 (Recommendation)": the Chinese edition's order."""
    m = re.fullmatch(r"(.*?) \(([^()]*)\)", heading)
    return f"{m.group(2)} ({m.group(1)})" if m else heading


def render_page(entries: list[Entry], lang: str = "en") -> str:
    """book/glossary.md: one ``{glossary}`` block per theme, terms in alphabetical order.
    ``lang="zh"``: the Chinese edition's page (``entries`` carry Chinese definitions; the
    terms, the targets of every ``{term}`` role, stay the same)."""
    if lang == "zh":
        out = ["# 术语表 (Glossary)", "",
               "<!-- GENERATED by tools/zh_edition.py from book/glossary.yml and",
               "     translations/zh/book/glossary.yml.yml -->", "",
               *wrap("本书的全部技术术语，中英对照，按主题分组。每一章在第一次使用某个术语的地方链接到本页。"), ""]
    else:
        out = ["# Glossary (术语表)", "",
               "<!-- GENERATED by tools/glossary.py from book/glossary.yml: edit the YAML, then run",
               "     python tools/glossary.py -->", "",
               *wrap("Every technical term of the book, in English and Chinese, grouped by theme. "
                     "Each chapter links a term to this page from the first place it uses it."), ""]
    for theme, heading in THEMES.items():
        if lang == "zh":
            heading = _zh_heading(heading)
        group = sorted((e for e in entries if e.theme == theme), key=lambda e: e.term.casefold())
        if not group:
            continue
        out += [f"## {heading}", "", "```{glossary}"]
        for e in group:
            out.append(e.name)
            out += wrap(e.definition, indent="  ")
            out.append("")
        out[-1] = "```"
        out.append("")
    return "\n".join(out)


_ATOM = re.compile(r"(?:\{[\w:+.-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\S)+")


def wrap(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    """Fill ``text`` to ``width`` columns without breaking inside a role, code span or math."""
    lines: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        line = ""
        for atom in _ATOM.findall(" ".join(para.split())):
            if line and len(indent) + len(line) + 1 + len(atom) > width:
                lines.append(indent + line)
                line = atom
            else:
                line = f"{line} {atom}" if line else atom
        lines.append(indent + line)
        lines.append("")
    return lines[:-1]


# ---- finding uses in Markdown ---------------------------------------------------------------

@dataclass
class Use:
    entry: Entry
    start: int
    end: int
    text: str
    linked: bool  # an existing {term} role (True) or plain prose (False)


def masked(md: str) -> str:
    """``md`` with every character that may not be linked replaced by NUL (same length)."""
    chars = list(md)
    pos = 0
    stack: list[tuple[str, int, bool]] = []  # open fences: (character, length, literal body)
    options = False  # on the :option: lines right after a directive's opening fence
    for line in md.splitlines(keepends=True):
        text = line.rstrip("\r\n")
        m = _FENCE_OPEN.match(text)
        closes = bool(m and stack and m.group(1)[0] == stack[-1][0]
                      and len(m.group(1)) >= stack[-1][1] and not m.group(2) and not m.group(4).strip())
        hide = True
        if stack and stack[-1][2]:  # inside code or a literal directive: only its fence ends it
            if closes:
                stack.pop()
        elif closes:
            stack.pop()
        elif m and (m.group(1)[0] != ":" or m.group(3)):
            name = m.group(3)
            literal = name is None or name in LITERAL_DIRECTIVES
            stack.append((m.group(1)[0], len(m.group(1)), literal))
            options = not literal
            chars[pos:pos + len(text)] = _MASK * len(text)
            pos += len(line)
            continue
        elif options and _OPTION.match(text):
            chars[pos:pos + len(text)] = _MASK * len(text)
            pos += len(line)
            continue
        else:
            hide = bool(_HEADING.match(text))
        options = False
        if hide:
            chars[pos:pos + len(text)] = _MASK * len(text)
        pos += len(line)
    out = "".join(chars)
    return _INLINE.sub(lambda m: _MASK * len(m.group(0)), out)


@lru_cache(maxsize=8)
def _scanner(entries: tuple[Entry, ...]) -> tuple[re.Pattern, list[tuple[Entry, str]]]:
    alts: list[tuple[int, Entry, str]] = []
    for e in entries:
        for alias in e.aliases:
            alts.append((len(alias), e, alias))
    alts.sort(key=lambda t: -t[0])  # longest first: leftmost-longest among the aliases
    groups = [(e, a) for _, e, a in alts]
    pattern = "|".join(f"(?P<a{i}>{e.alias_pattern(a)})" for i, (e, a) in enumerate(groups))
    return re.compile(pattern), groups


def _term_index(entries: tuple[Entry, ...]) -> dict[str, Entry]:
    return {e.name.casefold(): e for e in entries}


def term_roles(md: str) -> list[tuple[int, int, str | None, str]]:
    """Every ``{term}`` role in ``md``: (start, end, text or None, target)."""
    out = []
    for m in ROLE.finditer(md):
        if m.group(1) != "term":
            continue
        t = TERM_TARGET.match(m.group(3))
        if t.group(2) is not None:
            out.append((m.start(), m.end(), t.group(1), " ".join(t.group(2).split())))
        else:
            out.append((m.start(), m.end(), None, " ".join(t.group(3).split())))
    return out


def uses(md: str, entries: list[Entry] | tuple[Entry, ...]) -> list[Use]:
    """Every use of a glossary term in the Markdown ``md``, in order: plain prose matches of
    an alias (leftmost-longest, outside skipped regions, not excluded) and ``{term}`` roles
    whose target is a glossary term."""
    entries = tuple(entries)
    scanner, groups = _scanner(entries)
    index = _term_index(entries)
    hidden = masked(md)
    found = []
    for m in scanner.finditer(hidden):
        entry, _ = groups[int(m.lastgroup[1:])]
        if any(x.start() <= m.start() and m.end() <= x.end()
               for pattern in entry.exclude for x in re.finditer(pattern, md)):
            continue
        found.append(Use(entry, m.start(), m.end(), md[m.start():m.end()], linked=False))
    for start, end, _, target in term_roles(md):
        entry = index.get(target.casefold())
        if entry is not None:
            found.append(Use(entry, start, end, md[start:end], linked=True))
    return sorted(found, key=lambda u: u.start)


def first_uses(cells: list[str], entries) -> dict[str, tuple[int, Use]]:
    """term name -> (cell index, its first use) over a chapter's markdown cells in order."""
    first: dict[str, tuple[int, Use]] = {}
    for i, md in enumerate(cells):
        for u in uses(md, entries):
            first.setdefault(u.entry.name, (i, u))
    return first


def link_cells(cells: list[str], entries) -> tuple[list[str], list[tuple[int, Use]]]:
    """Link the first use of each term across ``cells`` (a chapter's markdown cells, in order)
    that is not already a ``{term}`` role. Returns the new cells and the uses linked."""
    todo = [(i, u) for i, u in first_uses(cells, entries).values() if not u.linked]
    out = list(cells)
    for i, u in sorted(todo, key=lambda t: (t[0], -t[1].start)):  # right to left inside a cell
        md = out[i]
        out[i] = md[:u.start] + link(u.text, u.entry) + md[u.end:]
    return out, sorted(todo, key=lambda t: (t[0], t[1].start))


def link(text: str, entry: Entry) -> str:
    """The ``{term}`` role for ``text`` pointing at ``entry``."""
    return f"{{term}}`{text} <{entry.name}>`"


def link_markdown(md: str, entries) -> str:
    """``md`` (one document) with the first use of each term linked."""
    return link_cells([md], entries)[0][0]


# ---- notebooks ------------------------------------------------------------------------------

def read_notebook(path: Path) -> tuple[dict, str]:
    raw = Path(path).read_text(encoding="utf-8")
    return json.loads(raw), raw


def dump_notebook(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _markdown_cells(nb: dict) -> list[tuple[int, str]]:
    return [(k, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for k, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"]


def _split_source(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def link_notebook(path: Path, entries, write: bool = True) -> list[tuple[int, Use]]:
    """Link the first use of each term in the notebook at ``path``; returns what was linked
    as (cell position in the notebook, use)."""
    nb, raw = read_notebook(path)
    if dump_notebook(nb) != raw:
        raise ValueError(f"{path}: not stored as json.dump(indent=1, ensure_ascii=False) + newline; "
                         "refusing to rewrite it (reformat it first so only the links change)")
    md = _markdown_cells(nb)
    new, done = link_cells([s for _, s in md], entries)
    for (k, old), text in zip(md, new):
        if text != old:
            cell = nb["cells"][k]
            cell["source"] = _split_source(text) if isinstance(cell["source"], list) else text
    if write and done:
        Path(path).write_text(dump_notebook(nb), encoding="utf-8")
    return [(md[i][0], u) for i, u in done]


def unlinked_first_uses(path: Path, entries) -> list[tuple[int, Use]]:
    """The first uses in a notebook that are not ``{term}`` roles: what ``--check`` reports."""
    nb, _ = read_notebook(path)
    md = _markdown_cells(nb)
    first = first_uses([s for _, s in md], entries)
    return [(md[i][0], u) for i, u in sorted(first.values(), key=lambda t: (t[0], t[1].start))
            if not u.linked]


def unknown_targets(text: str, entries) -> list[str]:
    """``{term}`` targets in ``text`` that name no glossary entry."""
    index = _term_index(tuple(entries))
    return [t for _, _, _, t in term_roles(text) if t.casefold() not in index]


# ---- command line ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--link", action="store_true", help="link first uses in the notebooks")
    mode.add_argument("--check", action="store_true", help="exit 1 if a first use is unlinked")
    mode.add_argument("--check-page", action="store_true", help="exit 1 if glossary.md is stale")
    p.add_argument("--dry-run", action="store_true", help="with --link: print, write nothing")
    p.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    args = p.parse_args(argv)
    entries = load()
    if args.dry_run and not args.link:
        p.error("--dry-run only goes with --link")
    if not (args.link or args.check):
        page = render_page(entries)
        if args.check_page:
            current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
            if current != page:
                print(f"{PAGE.relative_to(ROOT)} is stale: run python tools/glossary.py")
                return 1
            return 0
        PAGE.write_text(page, encoding="utf-8")
        print(f"wrote {PAGE.relative_to(ROOT)}: {len(entries)} terms")
        return 0
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    bad = 0
    total = 0
    for path in paths:
        if args.link:
            done = link_notebook(path, entries, write=not args.dry_run)
            total += len(done)
            verb = "would link" if args.dry_run else "linked"
            print(f"{path.name}: {verb} {len(done)} terms")
            for k, u in done:
                print(f"  cell {k}: {' '.join(u.text.split())!r} -> {u.entry.name}")
        else:
            missing = unlinked_first_uses(path, entries)
            bad += len(missing)
            for k, u in missing:
                print(f"{path.name}: cell {k}: first use of {u.entry.name} is not linked: "
                      f"{' '.join(u.text.split())!r}")
    if args.link:
        print(f"{'would link' if args.dry_run else 'linked'} {total} first uses in {len(paths)} notebooks")
        return 0
    if bad:
        print(f"{bad} first uses not linked: run python tools/glossary.py --link")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
