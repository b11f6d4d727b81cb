"""The book's course features, loaded from _config.yml (local_extensions).

Everything here reads the chapter map, ``retail_lab.chapters`` (one place for each chapter's
article section, title, prerequisites, study time and exercises):

- **Exercise numbers.** sphinx-exercise numbers exercises 1, 2, ... across the whole book.
  We renumber them by chapter, with the article's section numbers the sidebar shows:
  the first exercise of chapter 4.3 is "Exercise 4.3.1", the id ``check("4.3.1", answer)``
  takes. Titles, solution titles and references all read the new numbers.
- **The course map** (book/course_map.md): the ``course-map`` directive writes the learning
  path (a mermaid diagram of the prerequisites), the table of chapters with prerequisites,
  study time and run time (read from book/_generated/benchmarks.csv, written by
  ``make bench``), and the suggested syllabi.
- **"Run this chapter"**: a box under each chapter's title with downloads of the chapter's
  reader editions (student/: no solutions, no outputs; chapters/: full, solutions folded),
  copied into the HTML output by Sphinx's download mechanism, and how to run the chapter:
  with ``make lab`` in a copy of the repository, or in any other Jupyter after installing
  ``retail_lab``.
- **The repository address** is one build setting, ``html_theme_options.repository_url`` in
  _config.yml (and ``repository_branch``, default ``main``). Empty (the default: the project
  has no public address yet), the box says how to run the chapter locally. Set, the theme's
  repository button and its launch buttons (Binder, Colab) appear, the launch buttons open
  the chapter's full reader edition (which reads right outside the book), and the box gives
  the ``git clone`` and ``pip install`` lines for that address and launch links for the
  student edition.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

from retail_lab.chapters import CHAPTERS, SYLLABI, Chapter, chapter

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "book" / "_generated" / "benchmarks.csv"
EDITIONS = {"student": "student", "full": "chapters"}  # edition -> folder in the repository

# --- the Chinese edition (``book_edition: zh``, set by tools/zh_edition.py) ------------------
#: What this extension writes, in Chinese; every English string it shows must be here (a
#: missing one raises KeyError, so the Chinese build fails instead of showing English).
ZH = {
    "Run this chapter": "运行本章",
    "Download this chapter: ": "下载本章：",
    "student edition": "学生版",
    " (exercises without solutions, no outputs: run it yourself)": "（有练习、无答案、无输出：自己运行）",
    " or ": "或",
    "full edition": "完整版",
    " (solutions folded, outputs kept)": "（答案折叠、保留输出）",
    ". Both read right in any Jupyter.": "。两者都能在任何 Jupyter 中正确显示。",
    "Online: the launch button at the top of this page opens the full chapter in ": "在线：本页顶部的启动按钮在 ",
    "Binder or Colab": "Binder 或 Colab",
    "Binder": "Binder",
    "; the student edition opens in ": " 中打开完整的本章；学生版可在 ",
    " (in Colab, run the install line below first). The code is at ": " 中打开（在 Colab 中请先运行下面的安装命令）。代码位于 ",
    ".": "。",
    "On your computer (Python 3.11): ": "在你的电脑上（Python 3.11）：",
    " installs ": " 把 ",
    " and JupyterLab into ": " 和 JupyterLab 安装到 ",
    " and opens the student editions:": " 并打开学生版：",
    "In any other Jupyter (Colab, VS Code, your own JupyterLab): install the package, then open the downloaded notebook:":
        "在其他任何 Jupyter 中（Colab、VS Code、你自己的 JupyterLab）：先安装软件包，再打开下载的笔记本：",
    "On your computer (Python 3.11), in a copy of the book's repository: ": "在你的电脑上（Python 3.11），在本书代码仓库的副本中：",
    " and opens the student editions (this chapter is ": " 并打开学生版（本章是 ",
    "):": "）：",
    "In any other Jupyter (VS Code, your own JupyterLab): install the package from the copy of the repository, then open the downloaded notebook:":
        "在其他任何 Jupyter 中（VS Code、你自己的 JupyterLab）：从仓库副本安装软件包，再打开下载的笔记本：",
    "This edition of the book names no public repository, so there are no launch buttons (Binder, Colab); get a copy of the repository from whoever gave you the book.":
        "本书的这一版本没有公开的代码仓库地址，因此没有启动按钮（Binder、Colab）；请向提供本书的人索取仓库副本。",
    "Data: ": "数据：",
    ", ": "、",
    " and ": "和",
    "licence": "许可",
    ". The datasets download on first use (": "。数据集在第一次使用时下载（",
    "Data": "数据来源",
    " says from where, what each licence allows, and how to work offline).": "一页说明从哪里下载、各许可允许什么，以及如何离线使用）。",
    "Data: simulated by the package; nothing is downloaded.": "数据：由软件包模拟生成，不需要下载。",
    "chapter": "章节", "study first": "先学", "study time": "学习时间", "run time": "运行时间",
    "exercises": "练习", "nothing": "无", "not measured": "未测量", "all chapters": "全部章节",
    "session": "课次", "chapters": "章节",
    "A 6-week course (two sessions a week)": "六周课程（每周两次课）",
    "Week 1: retail data and the pipeline": "第 1 周：零售数据与流程",
    "Week 2: neural networks and their mathematics": "第 2 周：神经网络及其数学",
    "Week 3: recommendation, from the article's formula to Keras models": "第 3 周：推荐，从文章的公式到 Keras 模型",
    "Week 4: online tests and personalized marketing": "第 4 周：线上测试与个性化营销",
    "Week 5: inventory and customer service": "第 5 周：库存与客户服务",
    "Week 6: tools, trends, the FAQ, your own data, large models and scaling out":
        "第 6 周：工具、趋势、常见问题、你自己的数据、大模型与横向扩展",
    "A 2-day workshop": "两天工作坊",
    "Day 1: from transactions to recommendations": "第 1 天：从交易到推荐",
    "Day 2: networks and one retail decision": "第 2 天：神经网络与一个零售决策",
}


def edition(config) -> str:
    """``"en"`` or ``"zh"``: which edition of the book is being built."""
    return getattr(config, "book_edition", "en") or "en"


def tr(text: str, config) -> str:
    """``text`` in the language of the edition being built."""
    return ZH[text] if edition(config) == "zh" else text


def reader_folders(config) -> dict[str, str]:
    """Where the reader editions of this edition's chapters are (relative to the repository)."""
    return {k: f"{v}/zh" for k, v in EDITIONS.items()} if edition(config) == "zh" else EDITIONS


def chapter_label(ch: Chapter, config) -> str:
    """How tables name a chapter: "4.3 Collaborative filtering", or "4.3 协同过滤示例"."""
    return f"{ch.section} {ch.title_zh}" if edition(config) == "zh" else ch.label
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"


# --- the repository setting ---------------------------------------------------------------

def repository(config) -> tuple[str, str]:
    """(repository URL, branch) from the build setting; the URL is "" when none is set."""
    opts = config.html_theme_options or {}
    url = str(opts.get("repository_url") or "").strip().rstrip("/")
    return url.removesuffix(".git"), str(opts.get("repository_branch") or "main").strip()


def _github_parts(url: str) -> tuple[str, str] | None:
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", url)
    return (m.group(1), m.group(2)) if m else None


def _config_inited(app, config) -> None:
    """With a repository address: the theme's repository button and launch buttons."""
    url, branch = repository(config)
    if not url:
        return
    opts = dict(config.html_theme_options or {})
    opts.update(repository_url=url, repository_branch=branch, use_repository_button=True)
    launch = dict(opts.get("launch_buttons") or {})
    launch.update(binderhub_url=BINDER_URL, notebook_interface="jupyterlab")
    if _github_parts(url):  # Colab opens notebooks from GitHub only
        launch["colab_url"] = COLAB_URL
    opts["launch_buttons"] = launch
    config.html_theme_options = opts


def _launch_full_edition(app, pagename, templatename, context, doctree) -> None:
    """Point the theme's launch buttons at the chapter's full reader edition (chapters/),
    which shows every number and hides the solutions in any Jupyter, instead of the book's
    MyST source that only the HTML book renders."""
    try:
        ch = chapter(pagename)
    except KeyError:
        return
    if not pagename.startswith("notebooks/") or not (ROOT / EDITIONS["full"] / f"{ch.file}.ipynb").exists():
        return
    source, target = f"notebooks/{ch.file}.ipynb", f"{EDITIONS['full']}/{ch.file}.ipynb"

    def fix(item):
        if isinstance(item, dict):
            if item.get("text") in ("Binder", "Colab", "JupyterHub") and isinstance(item.get("url"), str):
                item["url"] = item["url"].replace(source, target)
            for value in item.values():
                fix(value)
        elif isinstance(item, list):
            for value in item:
                fix(value)

    fix(context.get("header_buttons"))


# --- exercise numbers ---------------------------------------------------------------------

def _number_exercises(app, env) -> list[str]:
    """Exercise k of the chapter mirroring section S becomes "Exercise S.k" (runs after
    Sphinx has assigned its book-wide figure numbers, which keep their order in a page)."""
    for docname, numbers in env.toc_fignumbers.items():
        exercises = numbers.get("exercise")
        try:
            ch = chapter(docname)
        except KeyError:
            continue
        if not exercises or not docname.startswith("notebooks/"):
            continue
        for k, node_id in enumerate(sorted(exercises, key=exercises.get), 1):
            exercises[node_id] = (ch.section, k)  # shown as ".".join -> "4.3.1"
    return []


# --- the "Run this chapter" box -----------------------------------------------------------

def _text(*parts) -> nodes.paragraph:
    """A paragraph from strings (text), ``("code", s)`` (inline code) and nodes."""
    para = nodes.paragraph()
    for part in parts:
        if isinstance(part, str):
            para += nodes.Text(part)
        elif isinstance(part, tuple) and part[0] == "code":
            para += nodes.literal(part[1], part[1])
        else:
            para += part
    return para


def _link(text: str, url: str) -> nodes.reference:
    return nodes.reference(text, text, refuri=url, internal=False)


def _download(text: str, path: str, docname: str) -> addnodes.download_reference:
    """A download link: Sphinx copies the file into the HTML output (_downloads/)."""
    node = addnodes.download_reference("", "", reftarget=f"/{path}", refdoc=docname,
                                       refexplicit=True, refdomain="", reftype="download")
    node += nodes.inline(text, text)
    return node


def _doc(text: str, target: str, docname: str) -> addnodes.pending_xref:
    node = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=target,
                                 refexplicit=True, refdoc=docname, refwarn=True)
    node += nodes.inline(text, text)
    return node


def _code_block(text: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text, language="bash")
    block["highlight_args"] = {}
    return block


def run_box(ch: Chapter, docname: str, url: str, branch: str, config=None) -> nodes.admonition:
    """The "Run this chapter" box of one chapter (in the language of ``config``'s edition)."""
    _ = (lambda t: tr(t, config)) if config is not None else (lambda t: t)
    folders = reader_folders(config) if config is not None else EDITIONS
    box = nodes.admonition(classes=["tip", "dropdown", "run-this-chapter"])
    box += nodes.title(_("Run this chapter"), _("Run this chapter"))
    items = nodes.bullet_list()

    def item(*children):
        li = nodes.list_item()
        for child in children:
            li += child
        items.append(li)

    student, full = (f"{folders[e]}/{ch.file}.ipynb" for e in ("student", "full"))
    downloads = [_("Download this chapter: "),
                 _download(_("student edition"), student, docname),
                 _(" (exercises without solutions, no outputs: run it yourself)")]
    if (ROOT / full).exists():
        downloads += [_(" or "), _download(_("full edition"), full, docname),
                      _(" (solutions folded, outputs kept)")]
    downloads.append(_(". Both read right in any Jupyter."))
    item(_text(*downloads))

    gh = _github_parts(url) if url else None
    if url:
        online = [_("Online: the launch button at the top of this page opens the full chapter in ")
                  + _("Binder or Colab" if gh else "Binder") + _("; the student edition opens in ")]
        online.append(_link("Binder", f"{BINDER_URL}/v2/"
                             + (f"gh/{gh[0]}/{gh[1]}/{branch}" if gh else f"git/{quote(url, safe='')}/{branch}")
                             + f"?urlpath=lab/tree/{student}"))
        if gh:
            online += [_(" or "), _link("Colab", f"{COLAB_URL}/github/{gh[0]}/{gh[1]}/blob/{branch}/{student}")]
        online.append(_(" (in Colab, run the install line below first). The code is at "))
        online += [_link(url, url), _(".")]
        item(_text(*online))
        name = url.rsplit("/", 1)[-1]
        item(_text(_("On your computer (Python 3.11): "), ("code", "make lab"),
                   _(" installs "), ("code", "retail_lab"), _(" and JupyterLab into "), ("code", ".venv"),
                   _(" and opens the student editions:")),
             _code_block(f"git clone {url}\ncd {name}\nmake lab"))
        item(_text(_("In any other Jupyter (Colab, VS Code, your own JupyterLab): install the "
                     "package, then open the downloaded notebook:")),
             _code_block(f'pip install "retail_lab[lab] @ git+{url}@{branch}"'))
    else:
        item(_text(_("On your computer (Python 3.11), in a copy of the book's repository: "),
                   ("code", "make lab"), _(" installs "), ("code", "retail_lab"),
                   _(" and JupyterLab into "), ("code", ".venv"), _(" and opens the student editions "
                   "(this chapter is "), ("code", student), _("):")),
             _code_block("cd retail-ai-lab   # your copy of the repository\nmake lab"))
        item(_text(_("In any other Jupyter (VS Code, your own JupyterLab): install the package from "
                     "the copy of the repository, then open the downloaded notebook:")),
             _code_block('pip install "./retail-ai-lab[lab]"'))
        item(_text(_("This edition of the book names no public repository, so there are no "
                     "launch buttons (Binder, Colab); get a copy of the repository from whoever "
                     "gave you the book.")))
    used = datasets_used(ch)
    if used:
        names = []
        for k, spec in enumerate(used):
            names += [_(", ") if 0 < k < len(used) - 1 else _(" and ") if k else "",
                      f"{spec.title} ({_('licence')}: {spec.license})"]
        item(_text(_("Data: "), *names, _(". The datasets download on first use ("),
                   _doc(_("Data"), "/book/data", docname), _(" says from where, what each licence "
                   "allows, and how to work offline).")))
    else:
        item(_text(_("Data: simulated by the package; nothing is downloaded.")))
    box += items
    return box


# Loader function -> registry entry of the dataset it reads.
_LOADERS = {"load_online_retail": "online_retail", "load_hillstrom": "hillstrom",
            "load_bitext_support": "bitext_support"}


def datasets_used(ch: Chapter) -> list:
    """The registry entries (title, licence) of the datasets a chapter's code loads, in the
    order of first use: read from the notebook, so the box cannot miss a dataset."""
    import json

    from retail_lab.datasets.registry import get_spec

    nb = json.loads((ROOT / ch.notebook).read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    found = sorted((m.start(), name) for name in _LOADERS
                   for m in [re.search(rf"\b{name}\b", code)] if m)
    return [get_spec(_LOADERS[name]) for _, name in found]


def _reread_when_the_address_changes(app, env, added, changed, removed) -> list[str]:
    """The box is part of each chapter's doctree; Sphinx re-reads no page when only a theme
    option changes, so re-read the chapters when the repository setting did."""
    current = repository(app.config)
    if getattr(env, "course_book_repository", None) == current:
        return []
    env.course_book_repository = current
    return [c.docname for c in CHAPTERS if c.docname in env.found_docs]


def _add_run_box(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    try:
        ch = chapter(docname)
    except KeyError:
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    url, branch = repository(app.config)
    title = next((i for i, n in enumerate(section.children) if isinstance(n, nodes.title)), -1)
    section.insert(title + 1, run_box(ch, docname, url, branch, app.config))
    folders = reader_folders(app.config)
    for path in (ROOT / folders["student"] / f"{ch.file}.ipynb", ROOT / folders["full"] / f"{ch.file}.ipynb"):
        if path.exists():
            app.env.note_dependency(str(path))


# --- the course map -----------------------------------------------------------------------

def run_times() -> dict[str, float]:
    """Notebook file name -> seconds, as ``make bench`` measured it (benchmarks.csv)."""
    if not BENCHMARKS.exists():
        return {}
    with open(BENCHMARKS, newline="", encoding="utf-8") as fh:
        return {row["notebook"]: float(row["seconds"]) for row in csv.DictReader(fh)}


def _hours(h: float) -> str:
    return f"{h:g} h"


class CourseMap(SphinxDirective):
    """``{course-map} path``, ``{course-map} chapters`` or ``{course-map} syllabus 6-week``."""

    required_arguments = 1
    optional_arguments = 1
    has_content = False
    option_spec = {"class": directives.class_option}

    def doc(self, ch: Chapter) -> str:
        return f"{{doc}}`{chapter_label(ch, self.config)} </{ch.docname}>`"

    def _(self, text: str) -> str:
        return tr(text, self.config)

    def lines(self) -> list[str]:
        what = self.arguments[0]
        by_section = {c.section: c for c in CHAPTERS}
        if what == "path":
            out = ["```{mermaid}", "flowchart LR"]
            out += [f'  c{c.number}["{chapter_label(c, self.config)}"]' for c in CHAPTERS]
            out += [f"  c{by_section[r].number} --> c{c.number}" for c in CHAPTERS for r in c.requires]
            return out + ["```"]
        if what == "chapters":
            self.env.note_dependency(str(BENCHMARKS))
            times = run_times()
            _ = self._
            out = [f"| {_('chapter')} | {_('study first')} | {_('study time')} | {_('run time')} | {_('exercises')} |",
                   "|---|---|---:|---:|---|"]
            for c in CHAPTERS:
                seconds = times.get(f"{c.file}.ipynb")
                run = f"{seconds:.0f} s" if seconds is not None else _("not measured")
                first = _(", ").join(chapter_label(by_section[r], self.config) for r in c.requires) or _("nothing")
                ids = f"{c.exercise_ids[0]}-{c.exercise_ids[-1]}" if c.exercise_ids else ""
                out.append(f"| {self.doc(c)} | {first} | {_hours(c.study_hours)} | {run} | {ids} |")
            total_run = sum(times.get(f"{c.file}.ipynb", 0.0) for c in CHAPTERS)
            total_study = sum(c.study_hours for c in CHAPTERS)
            out.append(f"| **{_('all chapters')}** | | **{_hours(total_study)}** | "
                       f"**{total_run / 60:.0f} min** | |")
            return out
        if what == "syllabus":
            if len(self.arguments) < 2 or self.arguments[1] not in SYLLABI:
                raise self.error(f"course-map syllabus needs one of: {', '.join(SYLLABI)}")
            _, sessions = SYLLABI[self.arguments[1]]
            _ = self._
            out = [f"| {_('session')} | {_('chapters')} | {_('study time')} |", "|---|---|---:|"]
            for title, sections in sessions:
                chs = [by_section[s] for s in sections]
                out.append(f"| {_(title)} | {_(', ').join(self.doc(c) for c in chs)} | "
                           f"{_hours(sum(c.study_hours for c in chs))} |")
            return out
        raise self.error(f"course-map: unknown part {what!r} (path, chapters or syllabus)")

    def run(self) -> list[nodes.Node]:
        container = nodes.container(classes=["course-map", *self.options.get("class", [])])
        self.state.nested_parse(StringList(self.lines(), source=self.env.docname),
                                self.content_offset, container)
        return [container]


def setup(app):
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("doctree-read", _add_run_box, priority=400)  # before the download collector
    app.connect("env-get-outdated", _reread_when_the_address_changes)
    app.connect("env-get-updated", _number_exercises, priority=900)  # after Sphinx's numbering
    app.connect("html-page-context", _launch_full_edition, priority=600)  # after the theme's
    app.add_directive("course-map", CourseMap)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
