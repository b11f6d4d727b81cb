"""The Chinese edition stays in sync with the English: every prose unit translated, translated
from the current English, and keeping what the English links to (tools/zh_edition.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import zh_edition as z  # noqa: E402

SOURCES = z.sources()
CHAPTERS = [s for s in SOURCES if s.endswith(".ipynb")]


# ---- the sync check: what `python tools/zh_edition.py status` lists must be empty -------------

@pytest.mark.parametrize("source", SOURCES)
def test_every_english_prose_unit_has_a_current_chinese_translation(source):
    problems = z.problems(source)
    assert problems == [], ("the Chinese edition is behind the English; run "
                            f"python tools/zh_edition.py status {source}\n  " + "\n  ".join(problems))


def test_every_chapter_and_page_of_the_book_is_translated():
    toc = {f.split("/")[-1] for f in z._toc_files()}
    translated = {Path(s).stem for s in SOURCES} | {"glossary"}
    assert toc <= translated
    assert {z.GLOSSARY, z.HINTS, z.GLUE} <= set(SOURCES)


# ---- what a translation must keep (hand-made cases) -----------------------------------------

EN = ("See {ref}`the split <split-label>` and {doc}`chapter 5 <06_keras_recommender>`: NDCG@10 is "
      "{glue:text}`ndcg:.3f` ({cite:p}`chen2012, koren2009`), a {term}`lift <Lift (提升幅度)>`.\n\n"
      "$$\\hat y = \\sigma(Wx + b)$$\n\n(my-label)=\n"
      "```{exercise}\n:label: ch07-ex1\n\nCheck with `check(\"6.1.1\", answer)`.\n```\n")
ZH = ("见{ref}`划分 <split-label>`和{doc}`第 5 章 <06_keras_recommender>`：NDCG@10 为 "
      "{glue:text}`ndcg:.3f`（{cite:p}`chen2012, koren2009`），即{term}`提升幅度 <Lift (提升幅度)>`。\n\n"
      "$$\\hat y = \\sigma(Wx + b)$$\n\n(my-label)=\n"
      "```{exercise}\n:label: ch07-ex1\n\n用 `check(\"6.1.1\", answer, lang=\"zh\")` 检查。\n```\n")


def test_a_complete_translation_loses_nothing():
    assert z.lost(EN, ZH) == []


@pytest.mark.parametrize("damage, expect", [
    (("{glue:text}`ndcg:.3f`", "0.219"), "{glue:text} ndcg"),
    (("{glue:text}`ndcg:.3f`", "{glue:text}`hr:.3f`"), "{glue:text} ndcg"),
    (("<split-label>", "<other>"), "{ref} split-label"),
    (("<06_keras_recommender>", "<07_recommendation_case>"), "{doc} 06_keras_recommender"),
    (("chen2012, koren2009", "chen2012"), "{cite:p} koren2009"),
    (("<Lift (提升幅度)>", "<Uplift (增益)>"), "{term} Lift (提升幅度)"),
    (("\\sigma(Wx + b)", "\\sigma(Wx)"), "$$\\hat y = \\sigma(Wx + b)$$"),
    (("(my-label)=", ""), "label (my-label)="),
    ((":label: ch07-ex1", ":label: ch07-ex9"), ":label: ch07-ex1"),
    (("```{exercise}", "```{note}"), "directive {exercise}"),
    (('check("6.1.1"', 'check("6.1.2"'), 'check("6.1.1"'),
])
def test_a_lost_reference_label_formula_or_exercise_id_is_reported(damage, expect):
    old, new = damage
    assert old in ZH
    lost = z.lost(EN, ZH.replace(old, new))
    assert any(expect in item for item in lost), lost


def test_math_is_compared_without_its_line_breaks():
    assert z.lost("$$a +\n b$$", "$$a + b$$") == []


# ---- units of a page: cutting at headings loses nothing --------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["# Title", "## Part", "text line", "", "```python", "# a comment",
                                 "```", ":::{note}", ":::", "### Sub section", "- item"]),
                max_size=30))
def test_page_sections_join_back_to_the_page(lines):
    md = "\n".join(lines)
    sections = z.page_sections(md)
    assert "\n".join(text for _, text in sections) == md
    assert len({key for key, _ in sections}) == len(sections)      # ids are unique


def test_a_heading_inside_a_code_block_does_not_cut_a_section():
    md = "# Page\n\nintro\n\n```bash\n# not a heading\n```\n\n## Next\n\nmore"
    assert [key for key, _ in z.page_sections(md)] == ["page", "next"]


# ---- a toy book: changed, removed and untranslated English are reported ---------------------

@pytest.fixture
def toy(tmp_path, monkeypatch):
    nb = {"cells": [
        {"cell_type": "markdown", "id": "aaaa1111", "metadata": {},
         "source": ["# 6.1 Title (商品推荐系统)\n", "\n", "A {term}`lift <Lift (提升幅度)>` of {glue:text}`x:.1%`."]},
        {"cell_type": "code", "id": "bbbb2222", "metadata": {}, "execution_count": 1, "source": ["glue('x', 0.5)"],
         "outputs": [{"output_type": "display_data", "metadata": {"scrapbook": {"name": "x"}},
                      "data": {"application/papermill.record/text/plain": "0.5"}},
                     {"output_type": "display_data", "metadata": {},
                      "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "07_toy.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    monkeypatch.setattr(z, "ROOT", tmp_path)
    monkeypatch.setattr(z, "STORE", tmp_path / "translations" / "zh")
    source = "notebooks/07_toy.ipynb"
    z.stub([source])
    stored = z.load_store(source)
    stored["aaaa1111"]["zh"] = "# 6.1 商品推荐系统\n\n{term}`提升幅度 <Lift (提升幅度)>`为 {glue:text}`x:.1%`。"
    stored["bbbb2222/figure"]["zh"] = "一张图"
    z.write_store(source, stored)
    return source, path, nb


def test_toy_book_is_current_and_its_chinese_notebook_keeps_code_and_outputs(toy):
    source, path, nb = toy
    assert z.problems(source) == []
    zh = z.zh_notebook(source)
    code = [c for c in zh["cells"] if c["cell_type"] == "code"]
    assert code == [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert zh["cells"][0]["source"][0] == "# 6.1 商品推荐系统\n"
    assert zh["cells"][-1]["source"] == ["*图：一张图*"]        # the caption under the figure


def test_changed_english_untranslated_prose_and_orphans_are_reported(toy):
    source, path, nb = toy
    nb["cells"][0]["source"][-1] = "A bigger {term}`lift <Lift (提升幅度)>` of {glue:text}`x:.1%`."
    nb["cells"].append({"cell_type": "markdown", "id": "cccc3333", "metadata": {}, "source": ["New text."]})
    path.write_text(json.dumps(nb), encoding="utf-8")
    problems = "\n".join(z.problems(source))
    assert "[aaaa1111]: the English changed after it was translated" in problems
    assert "[cccc3333]: no Chinese translation" in problems
    # once re-translated and marked done, it is current again
    stored = z.load_store(source)
    stored["cccc3333"] = {"id": "cccc3333", "sha": "", "en": "", "zh": "新的文字。"}
    z.write_store(source, stored)
    z.done(source, ["aaaa1111", "cccc3333"])
    assert z.problems(source) == []
    # a cell the English no longer has
    del nb["cells"][-1]
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert any("no longer has" in p for p in z.problems(source))


def test_a_glossary_term_missing_in_its_chinese_form_is_reported(toy):
    source, _, _ = toy
    stored = z.load_store(source)
    stored["aaaa1111"]["zh"] = "# 6.1 商品推荐系统\n\n{term}`lift <Lift (提升幅度)>`为 {glue:text}`x:.1%`。"
    z.write_store(source, stored)
    assert any("Lift" in p and "提升幅度" in p for p in z.problems(source))


# ---- one source of code and outputs ------------------------------------------------------------

@pytest.mark.parametrize("source", CHAPTERS)
def test_chinese_chapter_reuses_the_english_code_and_every_number(source):
    en = json.loads((ROOT / source).read_text(encoding="utf-8"))
    zh = z.zh_notebook(source)
    code_en = [c for c in en["cells"] if c["cell_type"] == "code"]
    code_zh = [c for c in zh["cells"] if c["cell_type"] == "code"]
    assert [c["source"] for c in code_zh] == [c["source"] for c in code_en]
    text = z.glued_text(en)
    for a, b in zip(code_en, code_zh):
        for oa, ob in zip(a.get("outputs", []), b.get("outputs", []), strict=True):
            name = oa.get("metadata", {}).get("scrapbook", {}).get("name")
            if name in text:   # a glued word or phrase: its translation
                assert oa["metadata"] == ob["metadata"]
            else:              # everything else, every glued number included: identical
                assert oa == ob
    md_en = sum(c["cell_type"] == "markdown" for c in en["cells"])
    figures = sum(z.has_figure(c) for c in en["cells"])
    assert sum(c["cell_type"] == "markdown" for c in zh["cells"]) == md_en + figures
    assert zh["cells"][0]["source"][0].startswith("# ")


def test_chinese_chapter_titles_use_the_chapter_maps_chinese_title():
    from retail_lab.chapters import chapter

    for source in CHAPTERS:
        first = z.zh_notebook(source)["cells"][0]["source"][0]
        ch = chapter(Path(source).stem)
        assert first.startswith(f"# {ch.section} {ch.title_zh}"), (source, first)


# ---- the answer checker in Chinese ----------------------------------------------------------

def test_checker_answers_in_chinese_with_the_translated_hint():
    from retail_lab.exercises import check, questions
    from retail_lab.exercises import _core

    assert repr(check("1.2", None, lang="zh")) == "[练习 1.2] 尚未作答：把 None 换成你的答案，然后重新运行这个单元格。"
    hints = z.load_store(z.HINTS)
    q = next(q for q in questions() if q.kind == "int")
    result = check(q.id, "not a number", lang="zh")
    assert result.correct is False and hints[q.id]["zh"] in result.message
    assert "请回答一个数" in result.message
    for q in questions():
        assert _core._hint(q, "zh") == hints[q.id]["zh"] != q.hint       # every hint is translated
    with pytest.raises(ValueError, match="lang"):
        check("1.2", None, lang="fr")


def test_checker_language_from_the_environment(monkeypatch):
    from retail_lab.exercises import check

    monkeypatch.setenv("RETAIL_LAB_LANG", "zh_CN")
    assert repr(check("1.2", None)).startswith("[练习 1.2] 尚未作答")
    monkeypatch.setenv("RETAIL_LAB_LANG", "en")
    assert repr(check("1.2", None)).startswith("[Exercise 1.2] No answer")


def test_hints_are_package_data():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "hints_zh.json" in meta["tool"]["setuptools"]["package-data"]["retail_lab.exercises"]
    assert z.store_path(z.HINTS) == ROOT / "retail_lab" / "exercises" / "hints_zh.json"


# ---- the site: language switch and the Chinese words of the course pages --------------------

@pytest.mark.parametrize("page, edition, url", [
    ("intro", "en", "zh/intro.html"),
    ("notebooks/07_recommendation_case", "en", "../zh/notebooks/07_recommendation_case.html"),
    ("notebooks/07_recommendation_case", "zh", "../../notebooks/07_recommendation_case.html"),
    ("book/glossary", "zh", "../../book/glossary.html"),
])
def test_language_switch_links_the_same_page_in_the_other_edition(page, edition, url):
    import book_fixes

    assert book_fixes.other_edition_url(page, edition) == url


def test_course_pages_have_every_word_in_chinese():
    import course_book
    from retail_lab.chapters import SYLLABI

    for title, sessions in SYLLABI.values():
        assert title in course_book.ZH
        for session, _ in sessions:
            assert session in course_book.ZH, session


def test_reader_editions_in_chinese_are_current():
    import reader_edition

    assert reader_edition.stale(reader_edition.build(lang="zh"), reader_edition.EDITIONS_ZH) == []


def _stray_emphasis(md: str) -> list[str]:
    """Asterisks a CommonMark parser leaves as text: emphasis that does not open or close
    (next to Chinese punctuation or a role, ``**…。**`` followed by a Chinese character)."""
    import re

    from markdown_it import MarkdownIt

    md = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", "MATH", md, flags=re.S)
    out = []
    for token in MarkdownIt("commonmark").parse(md):
        for child in token.children or []:
            if child.type == "text" and "*" in child.content:
                out.append(child.content[:80])
    return out


def test_emphasis_parser_finds_an_unclosed_bold():
    assert _stray_emphasis("它**{glue:text}`x`**最佳") != []
    assert _stray_emphasis("它 **{glue:text}`x`** 最佳，**文章怎么说**。本章") == []


@pytest.mark.parametrize("source", [s for s in SOURCES if s not in (z.HINTS, z.GLUE)])
def test_chinese_bold_and_italics_render(source):
    stray = {uid: found for uid, u in z.load_store(source).items()
             if not uid.endswith("/figure") and (found := _stray_emphasis(u.get("zh") or ""))}
    assert stray == {}, f"{source}: * or ** that would show as text (add a space, or move the punctuation out of the emphasis): {stray}"
