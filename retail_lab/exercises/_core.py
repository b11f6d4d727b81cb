"""The checking machinery: questions, parsing answers, verdicts and hints."""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from dataclasses import dataclass
from typing import Any, Callable

from ..chapters import CHAPTERS
from ..chapters import chapter as _chapter
from ..chapters import parse_exercise_id

__all__ = ["Question", "CheckResult", "QUESTIONS", "check", "questions", "register", "LANGUAGES"]

#: The languages the checker answers in: English and Chinese (the book's two editions).
LANGUAGES = ("en", "zh")
#: The Chinese hints, one per exercise with the English hint each translates (kept current by
#: the Chinese edition's tools: ``python tools/zh_edition.py status retail_lab/exercises``).
HINTS_ZH = Path(__file__).with_name("hints_zh.json")

# Every fixed message in both languages; {placeholders} are filled in.
_TEXT = {
    "Correct": "正确", "Not yet": "还不对", "No answer": "尚未作答", "Exercise": "练习",
    "replace None with your answer, then run the cell again.": "把 None 换成你的答案，然后重新运行这个单元格。",
    "well done.": "做得好。",
    "not correct": "不正确",
    "the sign is wrong": "符号错了",
    "not correct, though the order of magnitude is right (between {lo} and {hi} in size)":
        "不正确，不过数量级是对的（绝对值在 {lo} 与 {hi} 之间）",
    "too high: the answer is below {x}": "太大了：答案小于 {x}",
    "too low: the answer is at least {x}": "太小了：答案至少为 {x}",
    "too far from zero: the answer is smaller than {x} in size": "离零太远：答案的绝对值小于 {x}",
    "too close to zero: the answer is at least {x} in size": "离零太近：答案的绝对值至少为 {x}",
    "that looks like a percentage; give a fraction between 0 and 1.": "这看起来是百分数；请给出 0 到 1 之间的小数。",
    "relative tolerance {tol}": "相对容差 {tol}",
    "the answer is a whole number": "答案是整数",
    "answer a number, not {x}": "请回答一个数，而不是 {x}",
    "answer a number (got {x})": "请回答一个数（收到的是 {x}）",
    "answer a number (got {x}); write digits without separators": "请回答一个数（收到的是 {x}）；数字中不要加分隔符",
    "not a valid answer: the number is far too large (beyond 1e308)": "不是有效答案：这个数太大了（超过 1e308）",
    "not a valid answer: the answer is NaN (not a number)": "不是有效答案：答案是 NaN（不是数）",
    "not a valid answer: {x} is infinite; give a finite number": "不是有效答案：{x} 是无穷大；请给出有限的数",
    "answer a real number (got {x})": "请回答一个实数（收到的是 {x}）",
    "answer a single number (got {x})": "请回答单个数（收到的是 {x}）",
    "answer True or False (got {x})": "请回答 True 或 False（收到的是 {x}）",
    "answer a short text (got {x})": "请回答一段简短的文字（收到的是 {x}）",
    "answer a text, e.g. a name in quotes (got {x})": "请回答一段文字，例如用引号括起的名称（收到的是 {x}）",
}


def _lang(lang: str | None) -> str:
    """``lang``, else the environment variable ``RETAIL_LAB_LANG``, else English."""
    chosen = lang if lang is not None else (os.environ.get("RETAIL_LAB_LANG") or "en")
    chosen = str(chosen).strip().lower()
    chosen = "zh" if chosen.startswith("zh") else chosen
    if chosen not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES} (or None for RETAIL_LAB_LANG), got {lang!r}")
    return chosen


def _t(text: str, lang: str, **kw) -> str:
    """A fixed message in ``lang``, its placeholders filled."""
    return (_TEXT.get(text, text) if lang == "zh" else text).format(**kw)


@lru_cache(maxsize=1)
def _hints_zh() -> dict:
    if not HINTS_ZH.exists():
        return {}
    data = json.loads(HINTS_ZH.read_text(encoding="utf-8"))
    return {u["id"]: u for u in data.get("units", [])}


def _hint(q: "Question", lang: str) -> str:
    """The question's hint in ``lang`` (the English one when no current translation exists)."""
    if lang == "zh":
        import hashlib

        u = _hints_zh().get(q.id)
        if u and u.get("zh") and u.get("sha") == hashlib.sha256(q.hint.encode("utf-8")).hexdigest()[:12]:
            return u["zh"]
    return q.hint


def _exercise_id(chapter: str, qid: str) -> str:
    """``("ch05", "q1")`` -> ``"4.3.1"``; ids outside the chapter map are shown as they are."""
    m = re.fullmatch(r"q(\d+)", qid) if isinstance(qid, str) else None
    try:
        return f"{_chapter(chapter).section}.{int(m.group(1))}" if m else f"{chapter} {qid}"
    except KeyError:
        return f"{chapter} {qid}"


@dataclass(frozen=True)
class Question:
    """How one exercise is checked. Its text (prompt and solution) lives only in its chapter's
    exercise block; the package holds what the book cannot show: the answer's computation and
    the hint.

    Attributes
    ----------
    chapter, qid : str
        The chapter's file number and the question's place in it, e.g. ``"ch05"``, ``"q1"``
        (``id`` is the number the book shows: ``"4.3.1"``).
    expected : callable
        Computes the correct answer (may load data).
    kind : {"int", "float", "bool", "text"}
        How answers are compared.
    rel_tol : float
        Relative tolerance for ``"float"`` answers.
    hint : str
        Shown when the answer is wrong.
    needs_code : bool
        True when answering requires changing the chapter's code or a parameter and computing
        something the chapter does not print (every chapter has at least one such exercise;
        a test checks that the answer appears in none of the chapter's stored outputs).
    """

    chapter: str
    qid: str
    expected: Callable[[], Any]
    kind: str = "float"
    rel_tol: float = 0.01
    hint: str = ""
    needs_code: bool = False

    @property
    def id(self) -> str:
        """The exercise's number in the book, ``"4.3.1"`` (``check(q.id, answer)``)."""
        return _exercise_id(self.chapter, self.qid)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer. ``correct`` is None when no answer was given.
    ``exercise`` is the exercise's number in the book (``"4.3.1"``); ``chapter`` and ``qid``
    its old two-part id (``"ch05"``, ``"q1"``)."""

    chapter: str
    qid: str
    correct: bool | None
    message: str
    lang: str = "en"

    @property
    def exercise(self) -> str:
        return _exercise_id(self.chapter, self.qid)

    def __repr__(self) -> str:
        mark = _t({True: "Correct", False: "Not yet", None: "No answer"}[self.correct], self.lang)
        if self.lang == "zh":
            return f"[{_t('Exercise', 'zh')} {self.exercise}] {mark}：{self.message}"
        return f"[Exercise {self.exercise}] {mark}: {self.message}"

    def __bool__(self) -> bool:
        return bool(self.correct)





























































































QUESTIONS: dict[tuple[str, str], Question] = {}


def register(*qs: Question) -> None:
    """Add questions to ``QUESTIONS`` (each chapter module registers its own)."""
    for q in qs:
        if (q.chapter, q.qid) in QUESTIONS:
            raise ValueError(f"exercise {q.id} is registered twice")
        QUESTIONS[q.chapter, q.qid] = q


def questions(chapter: str | None = None) -> list[Question]:
    """All registered questions, or those of one chapter: its section (``"4.3"``) or its old
    id (``"ch05"``). ``[q.id for q in questions("4.3")]`` lists the ids ``check`` accepts."""
    if chapter is not None:
        try:
            chapter = _chapter(chapter).legacy if isinstance(chapter, str) else chapter
        except KeyError:
            pass
    return [q for q in QUESTIONS.values() if chapter is None or q.chapter == chapter]


_MAX_NUMBER_TEXT = 100  # longest text parsed as a number
_MAX_ANSWER_TEXT = 1_000  # longest text compared with a text answer
_FLOAT_LIMIT = 10 ** 308  # whole numbers beyond this are not valid answers (no float holds them)


def _describe(answer: Any) -> str:
    """A short description of an answer for messages: never more than about 80 characters,
    and cheap even for a million-element list or a 10 MB string."""
    if isinstance(answer, (str, bytes)):
        kind = "text" if isinstance(answer, str) else "bytes"
        return repr(answer) if len(answer) <= 40 else f"a {kind} of {len(answer):,} characters"
    if isinstance(answer, type):
        return f"the class {answer.__name__[:40]}"
    size = getattr(answer, "size", None)
    shape = getattr(answer, "shape", None)
    if shape is not None and isinstance(size, (int, np.integer)) and shape != ():
        return f"a {type(answer).__name__[:30]} of shape {tuple(shape)}"
    if not isinstance(answer, (numbers.Number, np.generic)):
        try:
            n = len(answer)
        except Exception:  # noqa: BLE001 - any object without a usable len()
            n = None
        if n is not None:
            return f"a {type(answer).__name__[:30]} of {n:,} item{'' if n == 1 else 's'}"
    try:
        text = repr(answer)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the checker
        text = f"a {type(answer).__name__[:30]}"
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar(answer: Any) -> Any:
    """Unwrap 0-d and one-element arrays or Series (a reader's ``s.loc[...]``) to a scalar."""
    shape = getattr(answer, "shape", None)
    if shape is not None and not isinstance(answer, (str, bytes)) and getattr(answer, "size", None) == 1:
        try:
            return np.asarray(answer).reshape(-1)[0]
        except Exception:  # noqa: BLE001 - not array-like after all: leave it as it is
            return answer
    return answer


def _as_number(answer: Any, lang: str = "en") -> tuple[int | float | None, str]:
    """The answer as an exact int or a finite float, or (None, why it is not valid)."""
    a = _scalar(answer)
    if isinstance(a, np.generic) and not isinstance(a, (np.bool_, np.number)):
        a = a.item()  # np.str_ and friends
    if isinstance(a, (bool, np.bool_)):
        return None, _t("answer a number, not {x}", lang, x=bool(a))
    if isinstance(a, str):
        text = a.strip()
        if len(text) > _MAX_NUMBER_TEXT:
            return None, _t("answer a number (got {x})", lang, x=_describe(a))
        try:
            a = int(text)
        except ValueError:
            try:
                a = float(text)
            except ValueError:
                return None, _t("answer a number (got {x}); write digits without separators", lang, x=_describe(a))
    if isinstance(a, (numbers.Integral, np.integer)):
        v = int(a)
        if abs(v) >= _FLOAT_LIMIT:
            return None, _t("not a valid answer: the number is far too large (beyond 1e308)", lang)
        return v, ""
    if isinstance(a, numbers.Complex) and not isinstance(a, numbers.Real):
        return None, _t("answer a real number (got {x})", lang, x=_describe(a))
    if isinstance(a, (numbers.Number, np.floating)):  # float, np.float32, Fraction, Decimal
        try:
            v = float(a)
        except (OverflowError, ValueError, TypeError):
            return None, _t("not a valid answer: the number is far too large (beyond 1e308)", lang)
        if math.isnan(v):
            return None, _t("not a valid answer: the answer is NaN (not a number)", lang)
        if math.isinf(v):
            return None, _t("not a valid answer: {x} is infinite; give a finite number", lang, x=v)
        return v, ""
    return None, _t("answer a single number (got {x})", lang, x=_describe(answer))


_YES = {"true", "yes", "y"}
_NO = {"false", "no", "n"}


def _as_bool(answer: Any, lang: str = "en") -> tuple[bool | None, str]:
    """The answer to a yes/no question: bools, NumPy bools, the numbers 1/0 and yes/no words."""
    a = _scalar(answer)
    if isinstance(a, (bool, np.bool_)):
        return bool(a), ""
    if isinstance(a, (str, np.str_)):
        word = str(a).strip().lower() if len(a) <= 10 else ""
        if word in _YES or word in _NO:
            return word in _YES, ""
    elif isinstance(a, (numbers.Real, np.integer, np.floating)):
        try:
            if a == 1 or a == 0:
                return bool(a == 1), ""
        except Exception:  # noqa: BLE001 - an exotic number that cannot be compared
            pass
    return None, _t("answer True or False (got {x})", lang, x=_describe(answer))


def _as_text(answer: Any, lang: str = "en") -> tuple[str | None, str]:
    a = _scalar(answer)
    if isinstance(a, type):
        return a.__name__, ""
    if isinstance(a, BaseException):
        return type(a).__name__, ""
    if isinstance(a, (str, np.str_)):
        if len(a) > _MAX_ANSWER_TEXT:
            return None, _t("answer a short text (got {x})", lang, x=_describe(a))
        return str(a), ""
    return None, _t("answer a text, e.g. a name in quotes (got {x})", lang, x=_describe(answer))


def _p10(e: int) -> float:
    """10**e as a float (inf beyond the float range, 0 below it)."""
    try:
        return 10.0 ** e
    except OverflowError:
        return math.inf


def _decade(x: float) -> int:
    """floor(log10(|x|)) for x != 0, exact at powers of ten (the fixed hint bands)."""
    x = abs(x)
    e = math.floor(math.log10(x))
    if _p10(e) > x:
        e -= 1
    elif _p10(e + 1) <= x:
        e += 1
    return e


def _magnitude_hint(value: float, truth: float, lang: str = "en") -> str:
    """Where a wrong answer lies relative to the answer's order of magnitude only (the bands
    are the powers of ten and zero, fixed in advance, so bisection cannot find the answer)."""
    truth = float(truth)
    if truth == 0 or value == 0:
        return _t("not correct", lang)
    if (value > 0) != (truth > 0):
        return _t("the sign is wrong", lang)
    ev, et = _decade(value), _decade(truth)
    lo, hi = f"{_p10(ev):g}", f"{_p10(ev + 1):g}"
    if ev == et:
        return _t("not correct, though the order of magnitude is right (between {lo} and {hi} in size)",
                  lang, lo=lo, hi=hi)
    if truth > 0:
        return (_t("too high: the answer is below {x}", lang, x=lo) if ev > et
                else _t("too low: the answer is at least {x}", lang, x=hi))
    return (_t("too far from zero: the answer is smaller than {x} in size", lang, x=lo) if ev > et
            else _t("too close to zero: the answer is at least {x} in size", lang, x=hi))


def _parse(q: Question, answer: Any, lang: str = "en") -> tuple[Any, str]:
    """The answer converted for the question's kind, or (None, why it is not valid).
    Needs no correct answer, so a malformed answer never triggers a data load."""
    if q.kind == "bool":
        return _as_bool(answer, lang)
    if q.kind == "text":
        return _as_text(answer, lang)
    value, why = _as_number(answer, lang)
    if value is None:
        return None, why
    if q.kind == "int":
        if isinstance(value, float):
            if value != int(value):
                return None, _t("the answer is a whole number", lang)
            value = int(value)
    return value, ""


def _compare(q: Question, answer: Any, truth: Any, lang: str = "en") -> tuple[bool, str]:
    value, why = _parse(q, answer, lang)
    hint = _hint(q, lang)
    stop = "。" if lang == "zh" else ". "
    if value is None:
        return False, f"{why}{stop}{hint}"
    if q.kind == "bool":
        return value == bool(truth), hint
    if q.kind == "text":
        return value.strip().lower() == str(truth).strip().lower(), hint
    if q.kind == "int":
        if value == int(truth):
            return True, ""
        return False, f"{_magnitude_hint(value, truth, lang)}{stop}{hint}"
    value = float(value)
    if math.isclose(value, float(truth), rel_tol=q.rel_tol, abs_tol=1e-12):
        return True, ""
    if 0 < truth < 1 and 1 < value <= 100 and math.isclose(value / 100, float(truth), rel_tol=q.rel_tol):
        return False, _t("that looks like a percentage; give a fraction between 0 and 1.", lang)
    tol = _t("relative tolerance {tol}", lang, tol=f"{q.rel_tol:g}")
    if lang == "zh":
        return False, f"{_magnitude_hint(value, truth, lang)}（{tol}）。{hint}"
    return False, f"{_magnitude_hint(value, truth, lang)} ({tol}). {hint}"


_CHAPTER_RE = re.compile(r"(?:ch(?:apter)?)?\s*0*(\d{1,3})")
_QID_RE = re.compile(r"q?\s*0*(\d{1,3})")


def _short(x: Any) -> str:
    return _describe(x) if not isinstance(x, str) or len(x) > 40 else x


def _normalise_key(chapter: Any, qid: Any) -> tuple[Any, Any]:
    """``"ch1"``, ``"CH01"`` -> ``"ch01"`` (the old answer-check ids count chapter files);
    a bare section, ``5``, ``"5"`` or ``"6.2"``, -> that chapter's old id (``5`` is chapter 5,
    the Keras recommender, as the book numbers it); ``1``, ``"Q1"`` -> ``"q1"``
    (unambiguous spellings only; anything else is returned unchanged)."""
    from ..chapters import CHAPTERS

    if isinstance(chapter, (int, np.integer)) and not isinstance(chapter, (bool, np.bool_)):
        chapter = str(int(chapter))
    if isinstance(chapter, str) and len(chapter) <= 20:
        by_section = {c.section: c.legacy for c in CHAPTERS}
        if chapter.strip() in by_section:
            chapter = by_section[chapter.strip()]

    def norm(x, regex, fmt):
        if isinstance(x, (bool, np.bool_)):
            return x
        if isinstance(x, (int, np.integer)):
            return fmt.format(int(x))
        if isinstance(x, str) and len(x) <= 20:
            m = regex.fullmatch(x.strip().lower())
            if m:
                return fmt.format(int(m.group(1)))
        return x

    return norm(chapter, _CHAPTER_RE, "ch{:02d}"), norm(qid, _QID_RE, "q{}")


def _key_from_id(exercise: Any) -> tuple[str, str]:
    """``"4.3.1"`` -> ``("ch05", "q1")``, the key of ``QUESTIONS``; KeyError naming the
    valid ids when there is no such exercise."""
    parsed = parse_exercise_id(exercise)
    if parsed is not None:
        ch, n = parsed
        key = (ch.legacy, f"q{n}")
        if key in QUESTIONS:
            return key
        known = ", ".join(q.id for q in questions(ch.legacy))
        raise KeyError(f"no exercise {_short(exercise)}; chapter {ch.section} has: {known}")
    ranges = ", ".join(f"{c.exercise_ids[0]}-{c.exercise_ids[-1]}" for c in CHAPTERS
                       if questions(c.legacy))
    raise KeyError(f"no exercise {_short(exercise)}; exercises are numbered chapter.exercise, "
                   f"as their titles in the book show: {ranges}")


def check(exercise: str, *args: Any, lang: str | None = None) -> CheckResult:
    """Check a reader's answer to an exercise: ``check("4.3.1", answer)``.

    Parameters
    ----------
    exercise : str
        The exercise's number as its title in the book shows it: ``"4.3.1"`` is the first
        exercise of chapter 4.3 (``"Exercise 4.3.1"`` is read the same way).
    answer : any
        The reader's answer; ``None`` means "not answered yet".
    lang : {"en", "zh"}, optional
        The language of the verdict and hint; default: the environment variable
        ``RETAIL_LAB_LANG``, else English. The Chinese edition's readers pass ``lang="zh"``.

    Returns
    -------
    CheckResult
        Truthy when correct; its text says correct, or what is wrong and a hint.
        It never contains the correct answer.

    Raises
    ------
    KeyError
        Unknown exercise (the message lists the chapter's exercises, or how they are
        numbered).
    TypeError
        Called with neither one answer nor a question and an answer after the id.

    Notes
    -----
    A wrong number is told only whether it is in the answer's power of ten, or above or
    below it (see the module's notes): enough to catch a unit or scale slip, not enough to
    bisect the answer.

    The old form ``check(chapter, qid, answer)``, with the chapter's file number and the
    question (``check("ch05", "q1", answer)`` for exercise 4.3.1), is still accepted;
    ``"ch5"``, ``5`` and ``"Q1"`` are read as ``"ch05"`` and ``"q1"``.

    Examples
    --------
    >>> check("1.2", None)
    [Exercise 1.2] No answer: replace None with your answer, then run the cell again.
    >>> check("ch01", "q2", None)  # the old form of the same exercise
    [Exercise 1.2] No answer: replace None with your answer, then run the cell again.
    >>> check("1.2", None, lang="zh")
    [练习 1.2] 尚未作答：把 None 换成你的答案，然后重新运行这个单元格。
    """
    lang = _lang(lang)
    if len(args) == 1:
        key, answer = _key_from_id(exercise), args[0]
    elif len(args) == 2:
        key, answer = _legacy_key(exercise, args[0]), args[1]
    else:
        raise TypeError("check takes the exercise's number and your answer, "
                        "e.g. check(\"4.3.1\", answer)")
    chapter, qid = key
    q = QUESTIONS[key]
    if answer is None:
        return CheckResult(chapter, qid, None, _t("replace None with your answer, then run the cell again.", lang), lang)
    value, why = _parse(q, answer, lang)
    if value is None:  # malformed: say why without computing (or loading) the answer
        return CheckResult(chapter, qid, False, f"{why}{'。' if lang == 'zh' else '. '}{_hint(q, lang)}", lang)
    ok, msg = _compare(q, answer, q.expected(), lang)
    return CheckResult(chapter, qid, ok, _t("well done.", lang) if ok else msg, lang)


def _legacy_key(chapter: Any, qid: Any) -> tuple[Any, Any]:
    """The key of ``QUESTIONS`` for the old form ``check("ch05", "q1", answer)``."""
    key = _normalise_key(chapter, qid)
    try:
        known_key = key in QUESTIONS
    except TypeError:  # an unhashable id (a list, a dict)
        known_key = False
    if not known_key:
        chapters = sorted({c for c, _ in QUESTIONS})
        if isinstance(key[0], str) and key[0] in chapters:
            known = ", ".join(q.qid for q in questions(key[0]))
            raise KeyError(f"no exercise {key[0]} {_short(qid)}; {key[0]} has: {known}")
        raise KeyError(f"no exercise {_short(chapter)} {_short(qid)}; the chapters are "
                       f"{', '.join(chapters)} (questions('ch01') lists a chapter's questions)")
    return key
