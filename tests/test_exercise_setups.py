"""Exercises test understanding, and each checker computes on its chapter's own setup.

- Every chapter has at least one exercise whose answer needs a change to the chapter's code or
  parameters (``Question.needs_code``), and that answer appears in none of the chapter's stored
  outputs: the reader has to compute it, not read it.
- Every chapter's checker module (``retail_lab/exercises/chNN.py``) has a ``setup()`` that
  reports the values its checkers compute with (cutoffs, windows, products, seeds, ...); the
  chapter glues the values it actually used under ``setup_<key>``. A chapter edited away from
  its checker (another cutoff, another product count) fails here instead of silently marking
  right answers wrong.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import math
import numbers
from pathlib import Path

import numpy as np
import pytest

from retail_lab.chapters import CHAPTERS
from retail_lab.exercises import questions

ROOT = Path(__file__).resolve().parents[1]
GLUE_MIME = "application/papermill.record/text/plain"
IDS = [c.file for c in CHAPTERS]


@functools.lru_cache(maxsize=None)
def _notebook(ch) -> dict:
    return json.loads((ROOT / ch.notebook).read_text(encoding="utf-8"))


def _glued(ch) -> dict[str, str]:
    out = {}
    for cell in _notebook(ch)["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = o.get("data", {}).get(GLUE_MIME, "")
    return out


def _printed(ch) -> str:
    """Every text a reader sees in the chapter's outputs (streams, text, HTML, glued values)."""
    parts = []
    for cell in _notebook(ch)["cells"]:
        for o in cell.get("outputs", []):
            parts.append("".join(o.get("text", "")))
            for mime in ("text/plain", "text/html", "text/markdown", GLUE_MIME):
                parts.append("".join(o.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _plain(x):
    return x.item() if isinstance(x, np.generic) else x


def _same(a, b) -> bool:
    a, b = _plain(a), _plain(b)
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or str(a) == str(b)


def _renderings(v) -> set[str]:
    """How a number might be printed: the ways the chapters format numbers."""
    v = _plain(v)
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return set()
    out = set()
    if float(v).is_integer() and abs(v) >= 10:
        out |= {f"{int(v)}", f"{int(v):,}"}
    if not float(v).is_integer():
        for d in (3, 4):
            s = f"{v:.{d}f}"
            if s.strip("0.-"):
                out.add(s)
        if 0 < abs(v) < 1:
            out |= {f"{100 * v:.1f}%", f"{100 * v:.2f}%"}
    return {s for s in out if len(s.strip("0.,%-")) >= 2}


@pytest.mark.parametrize("ch", CHAPTERS, ids=IDS)
def test_every_chapter_has_an_exercise_that_needs_code(ch):
    assert any(q.needs_code for q in questions(ch.legacy)), (
        f"chapter {ch.section}: no exercise needs a change to the code (Question.needs_code)")


@pytest.mark.realdata
@pytest.mark.parametrize("ch", CHAPTERS, ids=IDS)
def test_code_exercises_are_not_answered_by_the_chapter(ch, real_data):
    printed = _printed(ch)
    for q in questions(ch.legacy):
        if not q.needs_code:
            continue
        shown = sorted(s for s in _renderings(q.expected()) if s in printed)
        assert not shown, f"exercise {q.id}: the chapter prints its answer ({shown})"


@pytest.mark.realdata
@pytest.mark.parametrize("ch", CHAPTERS, ids=IDS)
def test_checker_setup_is_the_chapters_setup(ch, real_data):
    module = importlib.import_module(f"retail_lab.exercises.{ch.legacy}")
    assert callable(getattr(module, "setup", None)), (
        f"retail_lab/exercises/{ch.legacy}.py needs setup(): the values its checkers use")
    setup = module.setup()
    assert setup, f"retail_lab/exercises/{ch.legacy}.py: setup() is empty"
    glued = _glued(ch)
    for key, value in setup.items():
        name = f"setup_{key}"
        assert name in glued, (f"{ch.notebook} must glue {name} (the value it used), "
                               f"to compare with its checker's {value!r}")
        assert _same(_value(glued[name]), value), (
            f"{ch.notebook} used {key} = {glued[name]}, its checker uses {value!r}")
