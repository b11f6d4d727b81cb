"""Answer checkers for the chapters' exercises.

A reader calls ``check("ch01", "q2", answer)`` in a notebook. The checker computes the
correct answer itself (from the package and the data), so the notebook never shows it, and
answers with "correct" or with a hint about what is wrong.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Question", "CheckResult", "QUESTIONS", "check", "questions"]


@dataclass(frozen=True)
class Question:
    """One checkable exercise.

    Attributes
    ----------
    chapter, qid : str
        E.g. ``"ch01"``, ``"q2"``.
    prompt : str
        The question as the chapter asks it.
    expected : callable
        Computes the correct answer (may load data).
    kind : {"int", "float", "bool", "text"}
        How answers are compared.
    rel_tol : float
        Relative tolerance for ``"float"`` answers.
    hint : str
        Shown when the answer is wrong.
    """

    chapter: str
    qid: str
    prompt: str
    expected: Callable[[], Any]
    kind: str = "float"
    rel_tol: float = 0.01
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer. ``correct`` is None when no answer was given."""

    chapter: str
    qid: str
    correct: bool | None
    message: str

    def __repr__(self) -> str:
        mark = {True: "Correct", False: "Not yet", None: "No answer"}[self.correct]
        return f"[{self.chapter} {self.qid}] {mark}: {self.message}"

    def __bool__(self) -> bool:
        return bool(self.correct)


@functools.lru_cache(maxsize=1)
def _clean_retail():
    from . import quality
    from .datasets import load_online_retail

    return quality.clean(load_online_retail())


def _uk_revenue_share() -> float:
    from .features import line_revenue

    tx = _clean_retail().clean
    rev = line_revenue(tx)
    return float(rev[tx["Country"] == "United Kingdom"].sum() / rev.sum())


def _top20_units_share() -> float:
    from .explore import item_popularity, top_share

    return top_share(item_popularity(_clean_retail().clean), 0.2)


def _gpt2_medium() -> int:
    from .background import transformer_param_count

    return transformer_param_count(24, 1024, 50257, 1024)


def _duplicates() -> int:
    rep = _clean_retail().report.table.set_index("rule")
    return int(rep.loc["duplicate_row", "n_failing"])


def _gate_passes_at_20pct() -> bool:
    from .pipeline import QualityGate

    res = _clean_retail()
    checks = QualityGate(max_share={"missing_customer_id": 0.20}).evaluate(res.report, len(res.clean))
    return bool(checks["passed"].all())


def _customers_before_cutoff() -> int:
    from .features import customer_features

    return len(customer_features(_clean_retail().clean, "2011-03-01"))


QUESTIONS: dict[tuple[str, str], Question] = {
    (q.chapter, q.qid): q
    for q in (
        Question("ch01", "q1", "Share of clean revenue from United Kingdom customers (0-1).",
                 _uk_revenue_share, "float", 0.005,
                 "Use the clean purchase lines and revenue = Quantity * UnitPrice; give a "
                 "fraction such as 0.5, not a percentage."),
        Question("ch01", "q2", "Parameters of GPT-2 medium (24 layers, width 1024).",
                 _gpt2_medium, "int", 0.0,
                 "Use transformer_param_count with GPT-2's vocabulary (50,257) and context "
                 "(1,024); the embeddings are tied."),
        Question("ch01", "q3", "Share of units sold by the top 20% of products (0-1).",
                 _top20_units_share, "float", 0.005,
                 "Rank products by units with item_popularity, then use top_share(pop, 0.2)."),
        Question("ch02", "q1", "Rows the duplicate_row rule flags in the raw Online Retail table.",
                 _duplicates, "int", 0.0,
                 "Count every row that repeats an earlier row exactly (the first copy stays)."),
        Question("ch02", "q2", "Does the quality gate pass with a 20% limit on missing CustomerID?",
                 _gate_passes_at_20pct, "bool", 0.0,
                 "Compare the share of rows with a missing CustomerID with 0.20."),
        Question("ch02", "q3", "Customers with a clean purchase before 2011-03-01.",
                 _customers_before_cutoff, "int", 0.0,
                 "customer_features(clean, cutoff) has one row per customer; only purchases "
                 "strictly before the cutoff count."),
    )
}


def questions(chapter: str | None = None) -> list[Question]:
    """All registered questions, or those of one chapter."""
    return [q for q in QUESTIONS.values() if chapter is None or q.chapter == chapter]


def _compare(q: Question, answer: Any, truth: Any) -> tuple[bool, str]:
    if q.kind == "bool":
        if not isinstance(answer, bool):
            return False, f"answer True or False (got {type(answer).__name__}). {q.hint}"
        return answer == truth, q.hint
    if q.kind == "text":
        return str(answer).strip().lower() == str(truth).strip().lower(), q.hint
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False, f"answer a number (got {answer!r}). {q.hint}"
    if math.isnan(value):
        return False, f"the answer is NaN. {q.hint}"
    if q.kind == "int":
        if value != int(value):
            return False, f"the answer is a whole number. {q.hint}"
        if int(value) == int(truth):
            return True, ""
        direction = "too high" if value > truth else "too low"
        return False, f"{direction}. {q.hint}"
    ok = math.isclose(value, float(truth), rel_tol=q.rel_tol, abs_tol=1e-12)
    if ok:
        return True, ""
    if 1 < value <= 100 and math.isclose(value / 100, float(truth), rel_tol=q.rel_tol):
        return False, "that looks like a percentage; give a fraction between 0 and 1."
    direction = "too high" if value > truth else "too low"
    return False, f"{direction} (tolerance {q.rel_tol:.1%}). {q.hint}"


def check(chapter: str, qid: str, answer: Any) -> CheckResult:
    """Check a reader's answer to an exercise.

    Parameters
    ----------
    chapter : str
        E.g. ``"ch01"``.
    qid : str
        E.g. ``"q1"``.
    answer : any
        The reader's answer; ``None`` means "not answered yet".

    Returns
    -------
    CheckResult
        Truthy when correct; its text says correct, or what is wrong and a hint.
        It never contains the correct answer.

    Raises
    ------
    KeyError
        Unknown chapter or question (the message lists the chapter's questions).

    Examples
    --------
    >>> check("ch01", "q2", None)
    [ch01 q2] No answer: replace None with your answer, then run the cell again.
    """
    key = (chapter, qid)
    if key not in QUESTIONS:
        known = ", ".join(q.qid for q in questions(chapter)) or "none"
        raise KeyError(f"no exercise {chapter} {qid}; {chapter} has: {known}")
    q = QUESTIONS[key]
    if answer is None:
        return CheckResult(chapter, qid, None, "replace None with your answer, then run the cell again.")
    ok, msg = _compare(q, answer, q.expected())
    return CheckResult(chapter, qid, ok, "well done." if ok else msg)
