"""The course as a teacher and a student meet it: one numbering, the course map, and the way
from the book to the code ("Run this chapter", editions to download, launch buttons).

The build tests read two renderings: the book as `make book` builds it (no repository address;
the session's ``built_book``, shared with the render check), and the course map with chapter 4.3
rendered from a copy of _config.yml that differs only in ``html_theme_options.repository_url``
(a table of contents with those pages only, about 5 s, no network).
"""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from retail_lab.chapters import CHAPTERS, SYLLABI, chapter, parse_exercise_id

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_URL = "https://github.com/example-org/retail-ai-lab"


# ---- the chapter map -----------------------------------------------------------------------

def _ancestors(section: str) -> set[str]:
    out, todo = set(), list(chapter(section).requires)
    while todo:
        s = todo.pop()
        if s not in out:
            out.add(s)
            todo += chapter(s).requires
    return out


def test_prerequisites_come_earlier_and_imply_nothing_twice():
    order = [c.section for c in CHAPTERS]
    for c in CHAPTERS:
        for r in c.requires:
            assert order.index(r) < order.index(c.section), f"{c.section} needs the later {r}"
            implied = set().union(*(_ancestors(o) for o in c.requires if o != r))
            assert r not in implied, f"{c.section}: {r} is implied by another prerequisite"
        assert c.study_hours > 0 and c.n_exercises >= 3


@pytest.mark.parametrize("name", sorted(SYLLABI))
def test_syllabi_cover_their_chapters_after_the_prerequisites(name):
    title, sessions = SYLLABI[name]
    seen: list[str] = []
    for _, sections in sessions:
        for s in sections:
            missing = _ancestors(s) - set(seen)
            assert not missing, f"{title}: {s} before its prerequisites {sorted(missing)}"
            seen.append(s)
    assert len(seen) == len(set(seen))
    if name == "6-week":
        assert len(sessions) == 6 and sorted(seen) == sorted(c.section for c in CHAPTERS)
    if name == "2-day":
        assert len(sessions) == 2
        for _, sections in sessions:  # a day's study time fits a day
            assert sum(chapter(s).study_hours for s in sections) <= 7


def test_exercise_ids_parse_to_their_chapter():
    assert parse_exercise_id("4.3.2") == (chapter("4.3"), 2)
    assert parse_exercise_id("Exercise 6.1.3") == (chapter("07_recommendation_case"), 3)
    assert parse_exercise_id("4.3") == (chapter("4"), 3)  # chapter 4's third exercise
    assert parse_exercise_id("10.1") is None and parse_exercise_id("x") is None
    with pytest.raises(KeyError, match="the chapters are 1, 2, 3, 4, 4.3"):
        chapter("10.1")


def test_course_map_is_in_the_toc_after_the_intro():
    toc = (ROOT / "_toc.yml").read_text()
    assert "root: book/intro" in toc
    first = toc.index("- file: book/course_map")
    assert all(first < toc.index(c.docname) for c in CHAPTERS)


# ---- the built book ------------------------------------------------------------------------

#: the chapters rendered with a repository address (the buttons do not depend on the chapter)
WITH_URL_CHAPTERS = ("4.3",)


def _build_with_address(tmp: Path, url: str) -> Path:
    """The course map and :data:`WITH_URL_CHAPTERS` rendered with ``repository_url`` set to
    ``url`` (no -W: the other chapters' links are missing from this small book)."""
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    sphinx["config"]["html_theme_options"]["repository_url"] = url
    # relative to the configuration file's folder: point them back at the repository
    sphinx["local_extensions"] = {k: str(ROOT / v) for k, v in sphinx["local_extensions"].items()}
    cfg = tmp / "_config.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    toc = tmp / "_toc.yml"
    toc.write_text(yaml.safe_dump({
        "format": "jb-book", "root": "book/intro",
        "chapters": [{"file": "book/course_map"}]
                    + [{"file": chapter(s).docname} for s in WITH_URL_CHAPTERS]}), encoding="utf-8")
    out = tmp / "out"
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", str(ROOT), "--builder", "html", "--config", str(cfg),
                           "--toc", str(toc), "--path-output", str(out)],
                          capture_output=True, text=True, timeout=900)
    html_dir = out / "_build" / "html"
    assert proc.returncode == 0 and (html_dir / "book" / "course_map.html").exists(), (
        proc.stdout[-3000:] + proc.stderr[-3000:])
    return html_dir


@pytest.fixture(scope="module")
def built(tmp_path_factory, built_book) -> dict[str, Path]:
    """``with_url``: the small book with :data:`SAMPLE_URL`; ``without_url``: the whole book."""
    return {"with_url": _build_with_address(tmp_path_factory.mktemp("with_url"), SAMPLE_URL),
            "without_url": built_book}


def chapters_in(kind: str):
    return [chapter(s) for s in WITH_URL_CHAPTERS] if kind == "with_url" else CHAPTERS


def page(html_dir: Path, docname: str) -> str:
    return (html_dir / f"{docname}.html").read_text(encoding="utf-8")


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def run_box(doc: str) -> str:
    m = re.search(r'<div class="[^"]*run-this-chapter[^"]*">(.*?)</div>\s*<p><strong>What you will learn',
                  doc, re.DOTALL)
    assert m, "no 'Run this chapter' box before 'What you will learn'"
    return m.group(1)


def downloads(html_dir: Path, docname: str, box: str) -> dict[str, Path]:
    """The box's download links, checked to exist in the output: edition -> file."""
    found = {}
    for href, label in re.findall(r'<a class="reference download internal" download="" '
                                  r'href="([^"]+)">.*?<span[^>]*>([^<]+)</span>', box, re.DOTALL):
        target = (html_dir / docname).parent / href
        assert target.is_file(), href
        found[label] = target
    return found


@pytest.mark.render
@pytest.mark.parametrize("kind", ["with_url", "without_url"])
def test_every_chapter_offers_its_student_edition_next_to_the_full_one(built, kind):
    for c in chapters_in(kind):
        doc = page(built[kind], c.docname)
        box = run_box(doc)
        files = downloads(built[kind], c.docname, box)
        assert files["student edition"].read_bytes() == (ROOT / "student" / f"{c.file}.ipynb").read_bytes()
        if (ROOT / "chapters" / f"{c.file}.ipynb").exists():
            assert files["full edition"].read_bytes() == (ROOT / "chapters" / f"{c.file}.ipynb").read_bytes()
        assert "make lab" in text_of(box)
        assert f'href="../_sources/{c.docname}.ipynb"' in doc  # the theme's download, next to them


@pytest.mark.render
def test_with_an_address_the_repository_and_launch_buttons_appear(built):
    doc = page(built["with_url"], "notebooks/05_cf_worked_example")
    box = text_of(run_box(doc))
    assert f'href="{SAMPLE_URL}"' in doc  # the theme's repository button (and the box's link)
    # the theme's launch buttons, opening the full reader edition
    assert (f"https://mybinder.org/v2/gh/example-org/retail-ai-lab/main?urlpath=lab/tree/"
            f"chapters/05_cf_worked_example.ipynb") in doc
    assert ("https://colab.research.google.com/github/example-org/retail-ai-lab/blob/main/"
            "chapters/05_cf_worked_example.ipynb") in doc
    # the box: student edition online, clone + make lab, pip install from the address
    assert "lab/tree/student/05_cf_worked_example.ipynb" in doc
    assert f"git clone {SAMPLE_URL}" in box and "make lab" in box
    assert f'pip install "retail_lab[lab] @ git+{SAMPLE_URL}@main"' in box
    assert "names no public repository" not in box
    assert f'href="{SAMPLE_URL}"' in page(built["with_url"], "book/course_map")


@pytest.mark.render
def test_without_an_address_the_book_says_how_to_run_locally(built):
    for c in CHAPTERS:
        doc = page(built["without_url"], c.docname)
        box = text_of(run_box(doc))
        assert "Run this chapter" in box and "make lab" in box
        assert 'pip install "./retail-ai-lab[lab]"' in box
        assert f"student/{c.file}.ipynb" in box
        assert "names no public repository" in box
        assert "mybinder.org" not in doc and "colab.research.google.com" not in doc
        assert "example-org" not in doc and "git clone" not in doc


@pytest.mark.render
def test_rendered_exercise_titles_use_the_chapter_numbers(built):
    html_dir = built["without_url"]
    for c in CHAPTERS:
        doc = page(html_dir, c.docname)
        titles = re.findall(r'<span class="caption-number">(Exercise [^<]*?) </span>', doc)
        assert titles == [f"Exercise {i}" for i in c.exercise_ids], (c.section, titles)
        solutions = re.findall(r'Solution to<a class="reference internal" href="#[^"]+"> (Exercise [A-Z\d.]+)', doc)
        assert solutions == titles
        for i in c.exercise_ids:  # the prompt names the same id
            assert f'check("{i}",' in text_of(doc)


@pytest.mark.render
def test_course_map_page(built):
    doc = page(built["without_url"], "book/course_map")
    text = text_of(doc)
    assert 'class="mermaid"' in doc and "flowchart LR" in doc
    with open(ROOT / "book" / "_generated" / "benchmarks.csv", newline="") as fh:
        seconds = {r["notebook"]: float(r["seconds"]) for r in csv.DictReader(fh)}
    table = doc[doc.index('id="chapters-prerequisites-study-time-and-run-time"'):]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table[:table.index("</table>")], re.DOTALL)
    for c in CHAPTERS:
        row = text_of(next(r for r in rows if f'{c.file}.html"' in r))  # linked to the chapter
        assert f"{seconds[f'{c.file}.ipynb']:.0f} s" in row, row  # run time from the benchmark
        assert f"{c.study_hours:g} h" in row and c.exercise_ids[0] in row and c.label in row
        assert all(chapter(r).label in row for r in c.requires)
        assert f'c{c.number}["{c.label}"]' in html.unescape(doc)  # a node of the learning path
    for _, sessions in SYLLABI.values():
        for session, _ in sessions:
            assert session in text.replace("’", "'")


@pytest.mark.render
def test_tables_name_chapters_by_section_and_title(built):
    text = text_of(page(built["without_url"], "book/execution"))
    for c in CHAPTERS:
        assert c.label in text
    assert not re.search(r"\b\d\d_[a-z_]+\.ipynb", text)


def test_run_box_names_each_dataset_with_its_licence():
    """Each chapter's "Run this chapter" box restates the licence of every dataset its code
    loads (read from the notebook and the dataset registry), e.g. that Hillstrom may not be
    redistributed; a chapter on simulated data says nothing is downloaded."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
    try:
        import course_book
    finally:
        sys.path.pop(0)
    used = {c.file: [s.name for s in course_book.datasets_used(c)] for c in CHAPTERS}
    assert used["08_marketing"] == ["hillstrom", "online_retail"]
    assert used["10_customer_service"] == ["bitext_support"]
    assert used["14_your_own_data"] == []
    text = course_book.run_box(chapter("6.2"), "notebooks/08_marketing", "", "main").astext()
    assert "do not redistribute" in text and "CC BY 4.0" in text
    text = course_book.run_box(chapter("A"), "notebooks/14_your_own_data", "", "main").astext()
    assert "simulated" in text and "licence" not in text
