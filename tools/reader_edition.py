"""Make the reader editions: every chapter as a notebook that reads right in any Jupyter.

Usage: python tools/reader_edition.py [--check]

The book's chapters (notebooks/NN_*.ipynb) are written in MyST, which only the HTML book
renders: stock JupyterLab, Colab, VS Code and nbviewer show ``{glue:text}`auc:.3f``` and
```` ```{solution} ```` as raw markup. This script writes two editions in plain Markdown:

``student/``
    every chapter without solutions (``{solution}`` blocks and code cells tagged
    ``solution`` removed) and without outputs, for students to run themselves;
``chapters/``
    every chapter in full: stored outputs kept, each solution folded in an HTML
    ``<details>`` block (a click opens it, also in stock JupyterLab).

In both, MyST becomes Markdown that needs no extension:

- glue roles get the value stored by the executed chapter's ``glue(...)`` call, formatted
  with the role's spec exactly as myst-nb does (``{glue:text}`auc:.3f``` -> ``0.756``);
- citations become author-year text from book/references.bib (``(Chen et al., 2012)``),
  and a "References" list is added to the end of a chapter that cites;
- ``{doc}`` becomes a link to the other chapter's notebook (same folder), or the page's
  title; ``{term}``/``{ref}``/``{numref}`` become their text;
- exercises become bold headings numbered by the article's section, like the book
  (``ch05-ex1`` in chapter 4.3 -> Exercise 4.3.1, checked with ``check("4.3.1", ...)``);
- the mermaid diagram becomes a ```` ```mermaid ```` block (JupyterLab 4.1+ draws it; other
  viewers show the source) after the same diagram in words; admonitions become blockquotes.

The Chinese edition's reader notebooks (``student/zh/``, ``chapters/zh/``) are made the same
way from the Chinese chapters (``tools/zh_edition.py``: the English notebook with its prose
translated), with the few words this script writes itself in Chinese.

Nothing machine-specific is written (cell ``metadata.execution`` timestamps, the Python
version in ``language_info``), and the output is byte-for-byte deterministic.
``--check`` exits 1 when an edition is stale. It compares what this script generates and a
reader cannot change by running a chapter: cell types, sources and tags. Outputs, execution
counts and metadata are ignored, so re-running a chapter in JupyterLab and saving it keeps
the check (and the tests) green; an edited cell source is reported as stale.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks"
BIB = ROOT / "book" / "references.bib"
EDITIONS = {"student": ROOT / "student", "full": ROOT / "chapters"}
EDITIONS_ZH = {e: path / "zh" for e, path in EDITIONS.items()}
#: The words this script writes into a chapter, in the Chinese edition.
ZH = {"Exercise": "练习", "Solution to Exercise": "练习答案", "Solution": "答案",
      "References": "参考文献", "*Diagram, in words:*": "*流程图的文字版：*",
      "Note": "注意", "Tip": "提示", "Hint": "提示", "Important": "重要", "Warning": "警告",
      "Caution": "小心", "Attention": "注意", "Danger": "危险", "Error": "错误", "See also": "另见"}
GLUE_MIME = "application/papermill.record/"
ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important",
               "warning": "Warning", "caution": "Caution", "attention": "Attention",
               "danger": "Danger", "error": "Error", "seealso": "See also"}

#: A MyST role (``{name}`content```) and a MyST directive fence (```` ```{name} ````,
#: ``:::{name}``): the tests fail when either is left in a reader notebook.
ROLE = re.compile(r"(?<![\\A-Za-z0-9_])\{([A-Za-z][\w:+.-]*)\}`([^`]*)`")  # a Chinese character may precede it
DIRECTIVE = re.compile(r"^[ \t]*(`{3,}|~{3,}|:{3,})\{([A-Za-z][\w:+.-]*)\}[ \t]*(.*)$")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


# ---- the executed chapter's glued values ---------------------------------------------------

def glued(nb: dict) -> dict[str, dict]:
    """name -> the mime bundle a ``glue(name, ...)`` call stored in the executed notebook."""
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = {k[len(GLUE_MIME):]: _text(v) for k, v in o.get("data", {}).items()
                             if k.startswith(GLUE_MIME)}
    return out


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def format_plain_text(text: str, spec: str) -> str:
    """Format a glued text/plain value as myst-nb's ``{glue:text}`` does (myst_nb 1.x,
    ``core.variables.format_plain_text``): literal-eval it (so strings lose their quotes),
    then apply the format spec, coercing to the spec's type."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if spec == "":
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


# ---- citations -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def bibliography() -> dict:
    from pybtex.database import parse_file  # installed with sphinxcontrib-bibtex

    return parse_file(str(BIB)).entries


def _plain(latex: str) -> str:
    from pybtex.richtext import Text

    return str(Text.from_latex(latex)).strip()


def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_plain(" ".join(p.prelast_names + p.last_names)) for p in people]
    if not names:
        return _plain(entry.fields.get("organization", entry.fields.get("title", entry.key)))
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def cite(kind: str, keys: str) -> str:
    """Author-year text for a ``{cite}``/``{cite:p}``/``{cite:t}`` role."""
    entries = bibliography()
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in entries:
            raise KeyError(f"citation {key!r} is not in {BIB.relative_to(ROOT)}")
        e = entries[key]
        year = e.fields.get("year", "n.d.")
        if kind == "t":
            parts.append(f"{_authors(e)} ({year})")
        elif kind == "author":
            parts.append(_authors(e))
        elif kind == "year":
            parts.append(year)
        else:
            parts.append(f"{_authors(e)}, {year}")
    if kind in ("t", "author", "year"):
        return "; ".join(parts)
    return "(" + "; ".join(parts) + ")"


def reference_list(keys: list[str]) -> str:
    """The full references of the cited works, in Markdown (pybtex's plain style)."""
    from pybtex.plugin import find_plugin

    entries = bibliography()
    style = find_plugin("pybtex.style.formatting", "plain")()
    backend = find_plugin("pybtex.backends", "markdown")()
    ordered = sorted(keys, key=lambda k: (_authors(entries[k]), entries[k].fields.get("year", ""), k))
    items = style.format_entries(entries[k] for k in ordered)
    lines = []
    for item in items:
        text = re.sub(r"\s*\n\s*", " ", item.text.render(backend).replace("\\", ""))
        lines.append(f"- {text}")
    return "\n".join(lines)


# ---- MyST roles ----------------------------------------------------------------------------

def _explicit(content: str) -> tuple[str | None, str]:
    """``text <target>`` -> (text, target); ``target`` -> (None, target)."""
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", content, re.DOTALL)
    return (m.group(1), m.group(2)) if m else (None, content.strip())


@lru_cache(maxsize=None)
def _title(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join(_text(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    m = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return m.group(1).strip() if m else path.stem


def _title_zh(path: Path) -> str:
    """The Chinese chapter's title (its translated first heading)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import zh_edition

    nb = zh_edition.zh_notebook(str(path.resolve().relative_to(ROOT)))
    text = "\n".join(_text(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    m = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return m.group(1).strip() if m else path.stem


class Chapter:
    """Converts the Markdown of one chapter; collects what it cites."""

    def __init__(self, path: Path, nb: dict, lang: str = "en"):
        self.path = path
        self.lang = lang
        # exercises are numbered by the article's section, like the book (Exercise 4.3.1)
        from retail_lab.chapters import chapter

        try:
            self.prefix = chapter(path.stem).section
        except KeyError:  # a notebook outside the book's chapter map: its file number
            self.prefix = path.name[:2]
        self.glue = glued(nb)
        self.cited: list[str] = []
        self.exercises: dict[str, str] = {}  # label -> "4.3.1"

    def _(self, text: str) -> str:
        return ZH[text] if self.lang == "zh" else text

    # -- roles
    def role(self, m: re.Match) -> str:
        name, content = m.group(1), m.group(2)
        if name.startswith("glue"):
            return self.paste(name, content)
        if name == "cite" or name.startswith("cite:"):
            keys = [k.strip() for k in content.split(",")]
            self.cited += [k for k in keys if k not in self.cited]
            return cite(name.partition(":")[2] or "p", content)
        if name == "doc":
            return self.doc(content)
        if name in ("term", "ref", "numref", "abbr", "any"):
            text, target = _explicit(content)
            if name == "abbr":
                return re.sub(r"\s*\(.*\)\s*$", "", content)
            return text or re.sub(r"[-_]+", " ", target)
        if name in ("math", "eq"):
            return f"${content}$" if name == "math" else f"({content})"
        if name in ("sub", "sup", "kbd"):
            return f"<{name}>{content}</{name}>"
        if name == "download":
            text, target = _explicit(content)
            return f"[{text or target}]({self.link(target)})"
        text, _ = _explicit(content)
        return text or content

    def paste(self, name: str, content: str) -> str:
        key, spec = (content.rsplit(":", 1) + ["s"])[:2] if name == "glue:text" else (content, "")
        source = self.glue
        if "::" in key:  # a value glued in another chapter
            doc, key = key.split("::", 1)
            other = (self.path.parent / doc).with_suffix(".ipynb")
            source = glued(json.loads(other.read_text(encoding="utf-8")))
        if key not in source:
            raise KeyError(f"{self.path.name}: {{{name}}}`{content}` has no stored glue output; "
                           "execute the chapter first (make notebooks)")
        data = source[key]
        if name == "glue:md":
            return data["text/markdown"].strip()
        if name == "glue:text":
            return format_plain_text(data["text/plain"], spec)
        if "text/markdown" in data:
            return data["text/markdown"].strip()
        return data["text/plain"]

    def doc(self, content: str) -> str:
        text, target = _explicit(content)
        path = (self.path.parent / target).resolve()
        notebook = path.with_suffix(".ipynb")
        if notebook.parent == SRC and notebook.exists():
            return f"[{text or (_title_zh(notebook) if self.lang == 'zh' else _title(notebook))}]({notebook.name})"
        page = path.with_suffix(".md")
        if page.exists() and "```{bibliography}" in page.read_text(encoding="utf-8"):
            return f"[{text or self._('References')}](#{self._('References')})"  # the list this chapter ends with
        return text or (_title(page) if page.exists() else target)

    def link(self, target: str) -> str:
        return target if re.match(r"\w+:|/|\.\./", target) else f"../notebooks/{target}"

    # -- directives
    def exercise_number(self, label: str | None) -> str:
        m = re.fullmatch(r"ch\d+-ex(\d+)", label or "")
        number = (f"{self.prefix}.{int(m.group(1))}" if m
                  else f"{self.prefix}.{len(self.exercises) + 1}")
        if label:
            self.exercises[label] = number
        return number

    def directive(self, name: str, arg: str, options: dict, body: str, student: bool) -> str:
        body = self.markdown(body, student).strip("\n")
        if name == "exercise":
            number = self.exercise_number(options.get("label"))
            title = f"**{self._('Exercise')} {number}**" + (f" ({arg})" if arg else "")
            return f"{title}\n\n{body}"
        if name == "solution":
            if student:
                return ""
            number = self.exercises.get(arg.strip(), "")
            summary = f"{self._('Solution to Exercise')} {number}" if number else self._("Solution")
            return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"
        if name == "mermaid":
            return mermaid(body, self._("*Diagram, in words:*"))
        if name in ("math",):
            return f"$$\n{body}\n$$"
        if name in ("code", "code-block", "code-cell", "sourcecode"):
            return f"```{arg}\n{body}\n```"
        if name in ("figure", "image"):
            caption = body or options.get("alt", "")
            return f"![{options.get('alt', caption)}]({self.link(arg)})" + (
                f"\n\n*{caption}*" if name == "figure" and body else "")
        if name in ("glossary", "bibliography", "toctree", "tableofcontents"):
            return body
        if name.startswith("glue"):
            raise ValueError(f"{self.path.name}: ```{{{name}}}``` has no plain-Markdown form; "
                             "glue a text value and use {glue:text} instead")
        title = (arg if name == "admonition" else self._(ADMONITIONS[name]) if name in ADMONITIONS
                 else name.title())
        if name not in ("admonition", *ADMONITIONS) and arg:
            title = f"{title}: {arg}"
        quoted = "\n".join(f"> {line}".rstrip() for line in body.splitlines())
        return f"> **{title}**\n>\n{quoted}" if body else f"> **{title}**"

    # -- a block of Markdown
    def markdown(self, text: str, student: bool) -> str:
        lines = text.split("\n")
        out: list[str] = []
        prose: list[str] = []

        def flush():
            if prose:
                out.append(ROLE.sub(self.role, "\n".join(prose)))
                prose.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            d = DIRECTIVE.match(line)
            f = FENCE.match(line) if not d else None
            if d:
                flush()
                fence, name, arg = d.group(1), d.group(2), d.group(3).strip()
                j = i + 1
                while j < len(lines) and not re.fullmatch(
                        rf"[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", lines[j]):
                    j += 1
                body = lines[i + 1:j]
                options, body = _options(body)
                block = self.directive(name, arg, options, "\n".join(body), student)
                if block:
                    out.append(block)
                i = j + 1
            elif f:  # a plain code fence: copied as it is
                flush()
                fence = f.group(1)
                j = i + 1
                while j < len(lines) and not re.fullmatch(
                        rf"[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", lines[j]):
                    j += 1
                out.append("\n".join(lines[i:j + 1]))
                i = j + 1
            elif re.fullmatch(r"\([\w.:-]+\)=[ \t]*", line) or re.match(r"%", line):
                i += 1  # a MyST target or comment
            else:
                prose.append(line)
                i += 1
        flush()
        text = "\n".join(out)
        return re.sub(r"\n{3,}", "\n\n", text)


def _options(body: list[str]) -> tuple[dict, list[str]]:
    options = {}
    if body and body[0].strip() == "---":  # YAML block
        end = body.index("---", 1) if "---" in body[1:] else 0
        for line in body[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        return options, body[end + 1:]
    k = 0
    while k < len(body) and (m := re.match(r"^:([\w-]+):\s*(.*)$", body[k])):
        options[m.group(1)] = m.group(2).strip()
        k += 1
    return options, body[k:]


def mermaid(source: str, heading: str = "*Diagram, in words:*") -> str:
    """A mermaid flow chart: its edges in words, then the source in a ```mermaid block, which
    JupyterLab 4.1+ and GitHub draw and other viewers show as text."""
    node = r'(\w+)(?:\s*(?:\[\(?|\{|\(\(?)\s*"?(.*?)"?\s*(?:\)?\]|\}|\)\)?))?'
    edge = re.compile(rf'^\s*{node}\s*(-->|-\.->|==>|---)\s*(?:\|"?(.*?)"?\|\s*)?{node}\s*$')
    labels, steps = {}, []
    for line in source.splitlines():
        m = edge.match(line)
        if not m:
            continue
        a, a_label, _, via, b, b_label = m.groups()
        for n, lab in ((a, a_label), (b, b_label)):
            if lab:
                labels[n] = lab
        steps.append((a, via, b))
    words = [f"- {labels.get(a, a)} → " + (f"({via}) " if via else "") + labels.get(b, b)
             for a, via, b in steps]
    head = heading + "\n\n" + "\n".join(words) + "\n\n" if words else ""
    return f"{head}```mermaid\n{source.strip()}\n```"


# ---- notebooks -----------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def reader_version(nb: dict, path: Path, edition: str, lang: str = "en") -> dict:
    """The reader notebook of one chapter, as a dict: ``edition`` is "student" or "full";
    ``lang="zh"``: ``nb`` is the Chinese chapter."""
    student = edition == "student"
    chapter = Chapter(path, nb, lang)
    cells = []
    for cell in copy.deepcopy(nb["cells"]):
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k in ("tags", "jupyter")}
        tags = meta.get("tags", [])
        if student and "solution" in tags:
            continue
        new = {"cell_type": cell["cell_type"], "metadata": meta}
        if "id" in cell:
            new["id"] = cell["id"]
        text = _text(cell["source"])
        if cell["cell_type"] == "markdown":
            text = chapter.markdown(text, student).strip("\n")
            if "attachments" in cell:
                new["attachments"] = cell["attachments"]
        elif cell["cell_type"] == "code":
            new["execution_count"] = None if student else cell.get("execution_count")
            new["outputs"] = [] if student else cell.get("outputs", [])  # as nbformat wrote them
        new["source"] = _lines(text)
        cells.append(new)
    if chapter.cited:
        cells.append({"cell_type": "markdown", "id": "references", "metadata": {},
                      "source": _lines(f"## {chapter._('References')}\n\n" + reference_list(chapter.cited))})
    meta = copy.deepcopy(nb.get("metadata", {}))
    meta.get("language_info", {}).pop("version", None)  # the build machine's Python
    meta = {k: v for k, v in meta.items() if k in ("kernelspec", "language_info")}
    return {"cells": cells, "metadata": meta, "nbformat": nb["nbformat"],
            "nbformat_minor": nb["nbformat_minor"]}


def render(nb: dict) -> str:
    """The notebook file's text, as nbformat (and so JupyterLab's save) writes it."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def fingerprint(nb: dict) -> list:
    """What --check compares: what this script writes and running a chapter does not change."""
    return [(c["cell_type"], _text(c["source"]), c.get("metadata", {}).get("tags", []))
            for c in nb["cells"]]


def build(sources: list[Path] | None = None, lang: str = "en") -> dict[str, dict[str, str]]:
    """edition -> {file name: notebook text} for every chapter (``lang="zh"``: the Chinese
    chapters, made by ``tools/zh_edition.py`` from the English ones and their translations)."""
    sources = sources if sources is not None else sorted(SRC.glob("[0-9][0-9]_*.ipynb"))
    out: dict[str, dict[str, str]] = {e: {} for e in EDITIONS}
    for src in sources:
        if lang == "zh":
            sys.path.insert(0, str(ROOT / "tools"))
            import zh_edition

            nb = zh_edition.zh_notebook(str(src.resolve().relative_to(ROOT)))
        else:
            nb = json.loads(src.read_text(encoding="utf-8"))
        for edition in EDITIONS:
            out[edition][src.name] = render(reader_version(nb, src, edition, lang))
    return out


def stale(built: dict[str, dict[str, str]], dests: dict[str, Path] = EDITIONS) -> list[str]:
    """Files whose cell types, sources or tags differ from what the sources produce."""
    problems = []
    for edition, files in built.items():
        dest = dests[edition]
        for name, text in files.items():
            path = dest / name
            if not path.exists():
                problems.append(f"{dest.name}/{name} (missing)")
                continue
            try:
                current = fingerprint(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError):
                current = None
            if current != fingerprint(json.loads(text)):
                problems.append(f"{dest.name}/{name}")
        problems += [f"{dest.name}/{p.name} (no source)" for p in sorted(dest.glob("*.ipynb"))
                     if p.name not in files]
    return problems


def main(argv: list[str]) -> int:
    built = build()
    built_zh = build(lang="zh")
    n = len(built["student"])
    if "--check" in argv:
        problems = stale(built) + stale(built_zh, EDITIONS_ZH)
        if problems:
            print("reader editions are out of date: " + ", ".join(problems) + "\n"
                  "run `make student` (python tools/reader_edition.py); it overwrites student/ "
                  "and chapters/, so copy any work of your own in them elsewhere first")
            return 1
        print(f"reader editions are current ({n} chapters each in student/ and chapters/, "
              "and in Chinese in student/zh/ and chapters/zh/)")
        return 0
    for result, dests in ((built, EDITIONS), (built_zh, EDITIONS_ZH)):
        for edition, files in result.items():
            dest = dests[edition]
            dest.mkdir(exist_ok=True)
            for name, text in files.items():
                path = dest / name
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    path.write_text(text, encoding="utf-8")
            for p in dest.glob("*.ipynb"):
                if p.name not in files:
                    p.unlink()
    print(f"wrote {n} chapters to student/ (no solutions, no outputs) and chapters/ (full), "
          "and the Chinese edition's to student/zh/ and chapters/zh/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
