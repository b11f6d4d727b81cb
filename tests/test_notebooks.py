"""Static checks of the committed chapters: the conventions nbval cannot see."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from retail_lab.chapters import CHAPTERS, chapter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def cells(nb, kind):
    return [c for c in nb["cells"] if c["cell_type"] == kind]


def src(cell):
    return "".join(cell["source"])


def test_chapters_exist_and_are_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    assert len(NOTEBOOKS) >= 2
    for p in NOTEBOOKS:
        assert f"notebooks/{p.stem}" in toc, f"{p.name} is not in _toc.yml"


def test_the_chapter_map_lists_every_chapter_once_in_the_toc_order():
    """retail_lab.chapters is the one chapter map (file, article section, title, exercises,
    budget): it names exactly the notebooks, in the order of _toc.yml and of the files."""
    assert [c.file for c in CHAPTERS] == [p.stem for p in NOTEBOOKS]
    toc = (ROOT / "_toc.yml").read_text()
    assert sorted(CHAPTERS, key=lambda c: toc.index(c.docname)) == list(CHAPTERS)
    assert len({c.section for c in CHAPTERS}) == len(CHAPTERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_title_has_section_number_and_chinese(path):
    """The title is the chapter map's: "# 4.3 Case study: ... (案例分析与讲解)"."""
    first = src(cells(load(path), "markdown")[0]).splitlines()[0]
    assert first == chapter(path.stem).heading
    assert re.match(r"^# (?:[\d.]+|[A-Z]) .+ \(.*[\u4e00-\u9fff].*\)$", first), first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_in_order_without_stderr_errors_or_paths(path):
    nb = load(path)
    code = [c for c in cells(nb, "code") if src(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "every code cell must be executed"
    assert counts == sorted(counts) and counts[0] == 1, "run from a fresh kernel, top to bottom"
    for c in code:
        tags = c.get("metadata", {}).get("tags", [])
        for o in c["outputs"]:
            assert not (o["output_type"] == "stream" and o["name"] == "stderr"), src(c)[:80]
            if o["output_type"] == "error":
                assert "raises-exception" in tags, src(c)[:80]
            text = json.dumps(o.get("text", "")) + json.dumps(o.get("data", {}).get("text/plain", ""))
            assert not re.search(r"/(work|tmp|root|home)/", text), "machine path in output"
            assert "\\r" not in text.replace("\\r\\n", "") and "\\b" not in text, "progress bar"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_seeded_first_and_every_glue_reference_defined(path):
    nb = load(path)
    code = [src(c) for c in cells(nb, "code")]
    assert "set_seed(" in code[0], "the setup cell must seed everything first"
    defined = {  # names the executed glue() calls stored (works for computed names too)
        o.get("metadata", {}).get("scrapbook", {}).get("name")
        for c in cells(nb, "code") for o in c["outputs"]
    } - {None}
    used = set()
    for c in cells(nb, "markdown"):
        used |= set(re.findall(r"\{glue(?::text|:md|)?\}`([A-Za-z0-9_]+)", src(c)))
    assert used - defined == set(), "glue references without a glue() call"
    assert used, "numbers in the prose must come from glue"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_three_exercises_with_hidden_solutions(path):
    md = "\n".join(src(c) for c in cells(load(path), "markdown"))
    exercises = re.findall(r"```\{exercise\}", md)
    solutions = re.findall(r"```\{solution\}[^\n]*\n:class: dropdown", md)
    assert len(exercises) >= 3 and len(solutions) == len(exercises)
    assert len(exercises) == chapter(path.stem).n_exercises, "update retail_lab/chapters.py"
    for heading in ("What you will learn", "What the article says", "## Verdict on the article",
                    "## Summary", "## Exercises"):
        assert heading in md, heading


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_small(path):
    assert path.stat().st_size < 2 * 2**20


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_answer_checks_use_the_exercise_numbers(path):
    """Exercise k of chapter S is "Exercise S.k" in the book (book/_ext/course_book.py), and
    its prompt and the chapter's check cell use the same id: check("S.k", answer). The old
    form check("ch05", "q1", ...) is only an alias (retail_lab.exercises), not used here."""
    from retail_lab.exercises import QUESTIONS

    ch = chapter(path.stem)
    nb = load(path)
    md = "\n".join(src(c) for c in cells(nb, "markdown"))
    blocks = re.findall(r"```\{exercise\}[^\n]*\n(.*?)^```", md, re.DOTALL | re.MULTILINE)
    assert len(blocks) == ch.n_exercises
    ids = {q.id for q in QUESTIONS.values()}
    for exercise_id, body in zip(ch.exercise_ids, blocks):
        used = re.findall(r'check\("([^"]+)"', body)
        assert used == [exercise_id], f"Exercise {exercise_id} should check {exercise_id!r}: {used}"
        assert exercise_id in ids, f"no checker for {exercise_id} in retail_lab.exercises"
    code = "\n".join(src(c) for c in cells(nb, "code"))
    for text in (md, code):
        assert not re.search(r'check\("ch\d+"', text), "use check(\"<section>.<k>\", answer)"
        assert set(re.findall(r'check\("([^"]+)"', text)) <= set(ch.exercise_ids)


def test_benchmark_table_lists_every_chapter():
    """Named as the sidebar names them ("4.3 Collaborative filtering"), not by file number;
    the CSV keeps one row per notebook file for the course map's run times."""
    table = (ROOT / "book" / "_generated" / "benchmarks.md").read_text()
    csv_text = (ROOT / "book" / "_generated" / "benchmarks.csv").read_text()
    for c in CHAPTERS:
        assert f"| {c.label} |" in table, f"{c.label} missing: run `make bench`"
        assert f"\n{c.file}.ipynb," in csv_text, f"{c.file} missing: run `make bench`"
    assert ".ipynb" not in table and not re.search(r"\| `?\d\d_", table)
    assert "| NO |" not in table, "a chapter is over its time or memory budget"


_GLUE_MIME = "application/papermill.record/text/plain"
_FLOAT = re.compile(r"-?\d*\.\d+(e-?\d+)?|-?\d+e-?\d+")


def _decimals(spec: str) -> int | None:
    """Decimals a numeric format spec shows, in units of the value (percent adds two)."""
    m = re.search(r"\.(\d+)([a-z%])$", spec)
    if not m:
        return None
    return int(m.group(1)) + (2 if m.group(2) == "%" else 0)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_glued_numbers_carry_only_the_digits_the_prose_shows(path):
    """A glued float is stored rounded to the finest precision the text displays it at
    (retail_lab.repro.shown), so a last-bit difference between CPUs cannot change it."""
    from retail_lab.repro import shown

    nb = load(path)
    specs: dict[str, set[str]] = {}
    for c in cells(nb, "markdown"):
        for ref in re.findall(r"\{glue(?::text|:md|)?\}`([^`]+)`", src(c)):
            name, _, spec = ref.partition(":")
            specs.setdefault(name, set()).add(spec)
    for c in cells(nb, "code"):
        for o in c["outputs"]:
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            text = o.get("data", {}).get(_GLUE_MIME, "")
            if not name or not _FLOAT.fullmatch(text) or name.startswith("setup_"):
                continue  # setup_* values are compared with the exercise checkers, not shown
            numeric = [s for s in specs.get(name, ()) if _decimals(s) is not None]
            assert numeric, f"{name} = {text} is glued but no prose shows it with a precision"
            finest = max(numeric, key=_decimals)
            assert shown(float(text), finest) == float(text), (
                f"{name} = {text} is stored with more digits than the prose shows ({finest}): "
                f"glue shown(value, {finest!r})")


def test_the_project_cites_only_its_own_files():
    """Names like CONTRIBUTING.md or tools/x.py mentioned in the project's text must exist."""
    texts = [ROOT / "_toc.yml", ROOT / "_config.yml", ROOT / "Makefile", ROOT / "README.md",
             *ROOT.glob("*.md"), *(ROOT / "tools").glob("*.py"), *(ROOT / "tests").glob("*.py"),
             *(ROOT / "retail_lab").rglob("*.py"), *(ROOT / "book").glob("*.md")]
    missing = []
    for path in texts:
        for ref in set(re.findall(r"\b([A-Z][A-Z_]+\.md)\b", path.read_text(encoding="utf-8"))):
            if not (ROOT / ref).exists() and not list((ROOT / "datasets").glob(ref)):
                missing.append(f"{path.relative_to(ROOT)} cites {ref}")
    assert missing == []
