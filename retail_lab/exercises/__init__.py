"""Answer checkers for the chapters' exercises.

A reader calls ``check("4.3.1", answer)`` in a notebook: the id is the exercise's number in
the book, the chapter's article section and the exercise's place in it ("Exercise 4.3.1",
see ``retail_lab.chapters``). The old form ``check("ch05", "q1", answer)`` (file number and
question) is still accepted and means the same exercise. The checker computes the correct
answer itself (from the package and the data), so the notebook never shows it, and answers
with "correct" or with a hint about what is wrong.

What a wrong answer learns (the hint design)
---------------------------------------------
A verdict must help a reader without letting them *search* for the answer. "Too high" /
"too low" relative to the answer would let anyone bisect it (about 40 calls for a 9-digit
number). So the only directional hint is the **order of magnitude**: the powers of ten
(and zero) split the number line into fixed bands that do not depend on the answer, and a
wrong number is told whether it lies in a higher band ("too high: the answer is below
1e+03"), a lower band ("too low"), or the right band ("the order of magnitude is right").
Bisection therefore finds the answer's power of ten and then gets no further signal: the
remaining search is a scan of the whole decade, one tolerance width per call (hundreds of
calls for the loosest float tolerance, millions for a whole number). A fraction given as a
percentage is still recognised. Every message is short (a description of a long answer,
never the answer itself) and the correct answer never appears in it.

Accepted answers: Python and NumPy numbers (``np.int64``, ``np.float32``, a one-element
array or Series), numeric text such as ``"0.25"``; for yes/no questions ``True``/``False``,
``np.True_``, the numbers 1/0 and the words yes/no/true/false; for text questions a string,
or the exception class (or instance) whose name is asked for. ``inf``, ``nan`` and numbers
beyond the float range are "not a valid answer".

Each chapter's checkers live in the module named after its file (``ch05`` is chapter 4.3),
next to the questions they answer; ``_core`` holds the shared machinery.
"""

from __future__ import annotations

from . import (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10,  # noqa: F401
               ch11, ch12, ch13, ch14, ch16, ch17)
from ._core import QUESTIONS, CheckResult, Question, check, questions

__all__ = ["Question", "CheckResult", "QUESTIONS", "check", "questions"]
