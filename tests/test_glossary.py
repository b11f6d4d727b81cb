"""The glossary: one YAML source of term pairs, a generated page, first uses linked in chapters.

tools/glossary.py is tested on small hand-written Markdown (what counts as a use, what is
skipped, first use only, idempotence) and on the real glossary and chapters.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import glossary as g  # noqa: E402
import reader_edition as reader  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ENTRIES = g.load()


def entry(term, zh="术语", aliases=None, **kw):
    return g.Entry(term=term, zh=zh, aliases=tuple(aliases or [term.lower()]),
                   definition="A definition.", theme="models", **kw)


# A small synthetic glossary for the linker tests.
FEEDBACK = entry("Feedback loop", "效果反馈", ["feedback loop", "feedback"])
IMPLICIT = entry("Implicit feedback", "隐式反馈", ["implicit feedback"])
EASE = entry("EASE", "EASE 模型", ["EASE"])
MAP = entry("MAP@k", "平均精度均值", ["MAP", "mean average precision"])
AUC = entry("AUC", "ROC 曲线下面积", ["AUC"])
NDCG = entry("NDCG", "归一化折损累计增益", ["NDCG"])
BATCH = entry("Mini-batch", "小批量", ["mini-batch", "batch"])
TRANSFORMER = entry("Transformer", "Transformer 架构", ["transformer"])
EARLY = entry("Early stopping", "早停", ["early stopping"])
ADAM = entry("Adam", "Adam 优化器", ["Adam"], case_sensitive=True)
SENS = entry("Sensitivity", "敏感度", ["sensitivity"], exclude=(r"(?i)price\s+sensitivity",))
SMALL = [FEEDBACK, IMPLICIT, EASE, MAP, AUC, NDCG, BATCH, TRANSFORMER, EARLY, ADAM, SENS]


def found(text, entries=SMALL):
    return [(u.entry.term, u.text) for u in g.uses(text, entries)]


def linked(text, e):
    return g.link(text, e)


# ---- the source and the page --------------------------------------------------------------

def test_page_is_generated_from_the_yaml():
    assert g.PAGE.read_text(encoding="utf-8") == g.render_page(ENTRIES), (
        "book/glossary.md is stale: run python tools/glossary.py")


def test_every_entry_is_complete():
    assert len(ENTRIES) >= 100
    for e in ENTRIES:
        assert e.term.strip() and e.definition.strip() and e.aliases, e
        assert g.CJK.search(e.zh), e
        assert e.theme in g.THEMES, e
        assert e.name == f"{e.term} ({e.zh})"


def test_terms_and_aliases_are_unique():
    names = [e.name.casefold() for e in ENTRIES]
    assert len(names) == len(set(names))
    terms = [e.term.casefold() for e in ENTRIES]
    assert len(terms) == len(set(terms))
    aliases = [" ".join(a.casefold().split()) for e in ENTRIES for a in e.aliases]
    assert len(aliases) == len(set(aliases)), sorted(a for a in aliases if aliases.count(a) > 1)


def test_the_existing_sphinx_terms_keep_their_names():
    """{term} links written before the glossary became generated still resolve."""
    names = {e.name for e in ENTRIES}
    for name in ("Foundation model (基础模型)", "Transformer (Transformer 架构)",
                 "Large model (大模型)", "Smart retail (智能零售)",
                 "RFM (最近一次消费、消费频率、消费金额)", "AUC (ROC 曲线下面积)",
                 "Convolutional neural network, CNN (卷积神经网络)", "NDCG (归一化折损累计增益)",
                 "Erlang C (Erlang C 公式)", "k-anonymity (k-匿名)", "Collaborative filtering (协同过滤)"):
        assert name in names, name


def test_the_issue_terms_are_covered():
    def covers(phrase):
        return any(e.entry for e in g.uses(f"We use {phrase} here.", ENTRIES))
    for phrase in ("uplift", "Qini curve", "Qini coefficient", "A/B test", "BPR",
                   "bootstrap interval", "early stopping", "silhouette", "Holt-Winters",
                   "epoch", "learning rate", "softmax", "embedding", "self-attention",
                   "T-learner", "lead time", "service level", "TF-IDF", "macro-F1",
                   "Laplace mechanism", "privacy budget", "label noise", "imputation"):
        assert covers(phrase), phrase


@pytest.mark.parametrize("e", ENTRIES, ids=lambda e: e.term)
def test_every_alias_finds_its_own_entry(e):
    """Each alias, alone in a sentence, is one use of its entry and of no other (no alias is
    shadowed by a longer alias of another term)."""
    for alias in e.aliases:
        for text in (alias, alias[0].upper() + alias[1:]) if not g.alias_is_case_sensitive(alias) else (alias,):
            sentence = f"Here {text} is used."
            assert [(u.entry.name, u.text) for u in g.uses(sentence, ENTRIES)] == [(e.name, text)], (
                alias)


@pytest.mark.parametrize("bad, message", [
    ([{"term": "X", "aliases": ["x"], "definition": "d", "theme": "models"}], "missing or empty"),
    ([{"term": "X", "zh": "ex", "aliases": ["x"], "definition": "d", "theme": "models"}],
     "Chinese characters"),
    ([{"term": "X", "zh": "叉", "aliases": [], "definition": "d", "theme": "models"}], "aliases"),
    ([{"term": "X", "zh": "叉", "aliases": ["x"], "definition": "d", "theme": "nope"}], "theme"),
    ([{"term": "X", "zh": "叉", "aliases": ["x"], "definition": "d", "theme": "models", "colour": 1}],
     "unknown keys"),
    ([{"term": "X", "zh": "叉", "aliases": ["x"], "definition": "d", "theme": "models"},
      {"term": "Y", "zh": "歪", "aliases": ["X"], "definition": "d", "theme": "models"}],
     "already an alias"),
    ([{"term": "X", "zh": "叉", "aliases": ["x"], "definition": "d", "theme": "models"},
      {"term": "x", "zh": "叉", "aliases": ["y"], "definition": "d", "theme": "models"}],
     "duplicates"),
    ([{"term": "X", "zh": "叉", "aliases": ["x"], "definition": "d", "theme": "models",
       "exclude": ["("]}], "not a regular expression"),
    ({"term": "X"}, "non-empty YAML list"),
])
def test_bad_sources_are_refused_with_the_reason(tmp_path, bad, message):
    path = tmp_path / "glossary.yml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        g.load(path)


def test_the_page_is_a_myst_glossary_per_theme():
    page = g.render_page(ENTRIES)
    assert page.count("```{glossary}") == len({e.theme for e in ENTRIES})
    for e in ENTRIES:
        assert f"\n{e.name}\n  " in page, e.name
    assert max(len(line) for line in page.splitlines()) <= g.WIDTH
    # within a theme the terms are in alphabetical order
    for block in re.findall(r"```\{glossary\}\n(.*?)```", page, re.DOTALL):
        names = [line for line in block.splitlines() if line and not line.startswith(" ")]
        assert names == sorted(names, key=str.casefold)


def test_wrap_keeps_roles_and_math_whole():
    text = ("word " * 15 + "{term}`a long link text <Some term (术语)>` and $a + b = c$ " + "x " * 30)
    lines = g.wrap(text, indent="  ", width=40)
    joined = " ".join(line.strip() for line in lines)
    assert joined == " ".join(text.split())
    assert any("{term}`a long link text <Some term (术语)>`" in line for line in lines)
    assert any("$a + b = c$" in line for line in lines)


# ---- the alias matcher --------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("EASE beats popularity", [("EASE", "EASE")]),
    ("with ease", []),                                  # all caps: case-sensitive
    ("MAP@10 and MAP", [("MAP@k", "MAP@10"), ("MAP@k", "MAP")]),  # every use, not only the first
    ("a map of the shop", []),
    ("mean average precision", [("MAP@k", "mean average precision")]),
    ("two AUCs", [("AUC", "AUCs")]),                    # a plural is a use
    ("MAUC or AUCROC", []),                             # inside another word is not
    ("NDCG@10 rewards", [("NDCG", "NDCG@10")]),
    ("a mini-batch of 32", [("Mini-batch", "mini-batch")]),
    ("in batches", [("Mini-batch", "batches")]),
    ("transformer-based models", [("Transformer", "transformer")]),
    ("Early\n  stopping keeps", [("Early stopping", "Early\n  stopping")]),
    ("adam and Adam", [("Adam", "Adam")]),
    ("price sensitivity and sensitivity", [("Sensitivity", "sensitivity")]),
    ("implicit feedback, then feedback", [("Implicit feedback", "implicit feedback"),
                                          ("Feedback loop", "feedback")]),
    ("the EASE's penalty", [("EASE", "EASE")]),
    ("see retail_lab.transformer or a/batch", []),
])
def test_alias_matching(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "# EASE in a heading",
    "### The AUC\n",
    "`EASE` in code",
    "``EASE `x` AUC``",
    "$\\mathrm{AUC} = 1$",
    "$$\nNDCG = 1\n$$",
    "a [link to AUC](https://example.org/AUC) here",
    "an image ![EASE](ease.png)",
    "{glue:text}`AUC:.3f` and {doc}`EASE <06_keras>`",
    "<span title='AUC'>x</span>",
    "<!-- AUC -->",
    "https://example.org/EASE",
    "```python\nauc = AUC(EASE)\n```",
    "```{mermaid}\ngraph TD\n  A[AUC] --> B\n```",
    "```{exercise}\n:label: AUC-ex1\n:class: EASE\n```",
    "````{solution} ex1\n```python\nEASE()\n```\n````",
])
def test_skipped_regions(text):
    assert found(text) == []


def test_prose_inside_directives_and_tables_counts():
    text = ("| metric | model |\n|---|---|\n| AUC | EASE |\n\n"
            "```{exercise}\n:label: ex1\n\nWhat NDCG does it reach?\n```\n")
    assert found(text) == [("AUC", "AUC"), ("EASE", "EASE"), ("NDCG", "NDCG")]


def test_existing_term_roles_are_uses():
    text = "{term}`the AUC <AUC (ROC 曲线下面积)>` then AUC"
    uses = g.uses(text, SMALL)
    assert [(u.entry.term, u.linked) for u in uses] == [("AUC", True), ("AUC", False)]
    assert g.link_markdown(text, SMALL) == text  # the first use is already linked


def test_link_first_use_only():
    text = "EASE and EASE.\n\nAUC of EASE, AUC again."
    out = g.link_markdown(text, SMALL)
    assert out == (f"{linked('EASE', EASE)} and EASE.\n\n{linked('AUC', AUC)} of EASE, AUC again.")


def test_link_across_cells_and_idempotent():
    cells = ["# AUC\n\nNo term here.", "We measure AUC.", "AUC again; early stopping."]
    out, done = g.link_cells(cells, SMALL)
    assert out == ["# AUC\n\nNo term here.", f"We measure {linked('AUC', AUC)}.",
                   f"AUC again; {linked('early stopping', EARLY)}."]
    assert [(i, u.text) for i, u in done] == [(1, "AUC"), (2, "early stopping")]
    again, done2 = g.link_cells(out, SMALL)
    assert again == out and done2 == []


def test_link_keeps_the_readers_text_and_line_breaks():
    out = g.link_markdown("Training uses Early\nstopping.", SMALL)
    assert out == "Training uses {term}`Early\nstopping <Early stopping (早停)>`."


def test_a_later_link_does_not_hide_an_earlier_plain_use():
    text = "AUC first, then {term}`AUC <AUC (ROC 曲线下面积)>`."
    assert g.link_markdown(text, SMALL).startswith(linked("AUC", AUC))


def test_unknown_targets():
    text = "{term}`x <Nope (不)>` {term}`AUC <AUC (ROC 曲线下面积)>` {term}`AUC (ROC 曲线下面积)`"
    assert g.unknown_targets(text, SMALL) == ["Nope (不)"]


WORDS = st.sampled_from(["the", "shop", "EASE", "ease", "AUC", "AUCs", "batch", "mini-batch",
                         "early stopping", "feedback", "implicit feedback", "`AUC`", "$x$",
                         "MAP@10", "map", "price sensitivity", "sensitivity", "\n", "\n\n# AUC\n"])


@settings(max_examples=60, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=25))
def test_linking_is_idempotent_and_only_adds_roles(words):
    text = " ".join(words)
    out = g.link_markdown(text, SMALL)
    assert g.link_markdown(out, SMALL) == out
    # removing the new roles gives back the text, character for character
    unlinked = re.sub(r"\{term\}`(.*?) <[^<>]+>`", r"\1", out, flags=re.DOTALL)
    assert unlinked == text
    # every term used is linked exactly once, at its first use
    first = {}
    for u in g.uses(out, SMALL):
        first.setdefault(u.entry.term, u)
    assert all(u.linked for u in first.values())
    assert len(g.term_roles(out)) == len(first)


# ---- notebooks ----------------------------------------------------------------------------

def test_link_notebook_changes_only_markdown_sources(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": ["# 9 Title\n", "\n", "EASE wins.\n", "EASE again."]},
        {"cell_type": "code", "execution_count": None, "id": "b2", "metadata": {}, "outputs": [],
         "source": ["EASE = 1  # code is never linked"]},
        {"cell_type": "markdown", "id": "c3", "metadata": {"tags": ["x"]}, "source": ["Then AUC, 中文 too."]},
    ], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "99_test.ipynb"
    path.write_text(g.dump_notebook(nb), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    done = g.link_notebook(path, SMALL, write=False)  # a dry run writes nothing
    assert [(k, u.text) for k, u in done] == [(0, "EASE"), (2, "AUC")]
    assert path.read_text(encoding="utf-8") == before
    g.link_notebook(path, SMALL)
    after = json.loads(path.read_text(encoding="utf-8"))
    assert after["cells"][0]["source"] == ["# 9 Title\n", "\n", f"{linked('EASE', EASE)} wins.\n", "EASE again."]
    assert after["cells"][2]["source"] == [f"Then {linked('AUC', AUC)}, 中文 too."]
    expected = copy.deepcopy(nb)
    expected["cells"][0]["source"] = after["cells"][0]["source"]
    expected["cells"][2]["source"] = after["cells"][2]["source"]
    assert path.read_text(encoding="utf-8") == g.dump_notebook(expected)  # format kept: indent=1, UTF-8
    assert g.link_notebook(path, SMALL) == []
    assert g.unlinked_first_uses(path, SMALL) == []


def test_link_notebook_refuses_a_differently_formatted_file(tmp_path):
    path = tmp_path / "99_test.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=2))
    with pytest.raises(ValueError, match="indent=1"):
        g.link_notebook(path, SMALL)


def test_a_real_chapter_links_without_changing_anything_else(tmp_path):
    src = ROOT / "notebooks" / "09_inventory.ipynb"
    path = tmp_path / src.name
    shutil.copy(src, path)
    raw = src.read_text(encoding="utf-8")
    g.link_notebook(path, ENTRIES)
    old, new = json.loads(raw), json.loads(path.read_text(encoding="utf-8"))
    assert [c.get("id") for c in old["cells"]] == [c.get("id") for c in new["cells"]]
    for a, b in zip(old["cells"], new["cells"]):
        if a["cell_type"] != "markdown":
            assert a == b
        else:
            assert {k: v for k, v in a.items() if k != "source"} == {k: v for k, v in b.items() if k != "source"}
            strip = re.sub(r"\{term\}`(.*?) <[^<>]+>`", r"\1", "".join(b["source"]), flags=re.DOTALL)
            assert strip == re.sub(r"\{term\}`(.*?) <[^<>]+>`", r"\1", "".join(a["source"]), flags=re.DOTALL)
    assert g.unlinked_first_uses(path, ENTRIES) == []
    assert old["metadata"] == new["metadata"]


def test_reader_edition_renders_a_term_link_as_its_text():
    text = "We stop with {term}`early\nstopping <Early stopping (早停)>` and {term}`AUC (ROC 曲线下面积)`."
    out = reader.ROLE.sub(lambda m: reader._explicit(m.group(2))[0] or m.group(2), text)
    assert out == "We stop with early\nstopping and AUC (ROC 曲线下面积)."


def test_command_line_dry_run_and_check(tmp_path):
    src = ROOT / "notebooks" / "09_inventory.ipynb"
    path = tmp_path / src.name
    shutil.copy(src, path)
    before = path.read_bytes()
    tool = [sys.executable, str(ROOT / "tools" / "glossary.py")]
    dry = subprocess.run(tool + ["--link", "--dry-run", str(path)], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert path.read_bytes() == before
    check = subprocess.run(tool + ["--check", str(path)], capture_output=True, text=True)
    if "would link 0 terms" not in dry.stdout:
        assert check.returncode == 1 and "is not linked" in check.stdout
    subprocess.run(tool + ["--link", str(path)], check=True, capture_output=True)
    check = subprocess.run(tool + ["--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


# ---- the book -----------------------------------------------------------------------------

def _texts():
    for p in CHAPTERS:
        nb = json.loads(p.read_text(encoding="utf-8"))
        yield p.name, "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for p in sorted((ROOT / "book").glob("*.md")):
        yield p.name, p.read_text(encoding="utf-8")


def test_every_term_link_in_the_book_has_a_glossary_entry():
    bad = {name: g.unknown_targets(text, ENTRIES) for name, text in _texts()}
    assert not {k: v for k, v in bad.items() if v}, bad


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_each_chapter_links_the_first_use_of_every_term(path):
    missing = g.unlinked_first_uses(path, ENTRIES)
    assert not missing, (f"{path.name}: first uses not linked (run python tools/glossary.py --link): "
                         + ", ".join(f"{u.entry.term} ({' '.join(u.text.split())!r}, cell {k})"
                                     for k, u in missing))
