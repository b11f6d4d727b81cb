"""Exercise checkers (right and wrong answers) and the seeding helper."""

from __future__ import annotations

import random

import numpy as np
import pytest

from retail_lab import environment_report, set_seed
from retail_lab.chapters import CHAPTERS
from retail_lab.exercises import QUESTIONS, check, questions


def test_no_answer_and_unknown():
    r = check("1.2", None)
    assert r.correct is None and "replace None" in repr(r) and repr(r).startswith("[Exercise 1.2]")
    with pytest.raises(KeyError, match="chapter 1 has: 1.1, 1.2, 1.3"):
        check("1.9", 1)
    with pytest.raises(KeyError, match="chapter 4.3 has: 4.3.1, 4.3.2, 4.3.3"):
        check("4.3.7", 1)
    with pytest.raises(KeyError, match=r"numbered chapter\.exercise.*1\.1-1\.3.*4\.3\.1-4\.3\.3"):
        check("10.1", 1)  # no chapter 10 (the file 10_ is chapter 6.4)
    with pytest.raises(TypeError, match=r'check\("4\.3\.1", answer\)'):
        check("4.3.1")


def test_the_old_two_part_ids_are_aliases_of_the_exercise_numbers():
    """check("ch05", "q1", a) (file number, question) is exercise 4.3.1: the chapters show
    the new form, old notebooks keep working."""
    assert repr(check("ch05", "q1", None)) == repr(check("4.3.1", None))
    assert repr(check("ch01", "q2", None)) == repr(check("Exercise 1.2", None))
    r = check("ch01", "q2", None)
    assert r.correct is None and "replace None" in repr(r)
    with pytest.raises(KeyError, match="ch01 has: q1, q2, q3"):
        check("ch01", "q9", 1)
    for q in QUESTIONS.values():
        assert check(q.id, None).exercise == check(q.chapter, q.qid, None).exercise == q.id


def test_exercise_ids_follow_the_chapter_map():
    """Every chapter's exercise ids (retail_lab.chapters) have a checker, and nothing else."""
    assert sorted(q.id for q in QUESTIONS.values()) == sorted(
        i for c in CHAPTERS for i in c.exercise_ids)
    assert [q.id for q in questions("4.3")] == ["4.3.1", "4.3.2", "4.3.3"]
    assert [q.id for q in questions("ch05")] == ["4.3.1", "4.3.2", "4.3.3"]


def test_int_question_right_and_wrong():
    assert check("1.2", 354_823_168)
    assert check("ch01", "q2", 354_823_168)
    # within the answer's power of ten: no direction (bisection must not find the answer)
    wrong = check("ch01", "q2", 355_000_000)
    assert not wrong and "order of magnitude is right" in repr(wrong)
    assert "too high" not in repr(wrong) and "too low" not in repr(wrong)
    assert "354823168" not in repr(wrong) and "354,823,168" not in repr(wrong)
    # a power of ten off (a scale slip): the direction is told
    assert "too high" in repr(check("ch01", "q2", 3_548_231_680))
    assert "too low" in repr(check("ch01", "q2", 35_482_316))
    assert not check("ch01", "q2", "lots")
    assert not check("ch01", "q2", 354_823_168.5)


def test_every_chapter_has_three_questions():
    for ch in ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08", "ch09", "ch10", "ch11", "ch12", "ch13"):
        assert len(questions(ch)) >= 3
    assert all(q.hint for q in QUESTIONS.values())


@pytest.mark.realdata
def test_data_questions_right_and_wrong(real_data, monkeypatch):
    monkeypatch.setenv("RETAIL_LAB_DATA", str(real_data))
    from retail_lab.exercises import QUESTIONS

    for key, q in QUESTIONS.items():
        truth = q.expected()
        assert check(q.id, truth), q.id
        assert check(*key, truth), key  # the old form of the same exercise
        if q.kind == "bool":
            assert not check(*key, not truth)
        elif q.kind == "int":
            assert not check(*key, truth + 1)
        elif q.kind == "text":
            assert check(*key, f"  {truth.upper()} ")  # case and spaces do not matter
            assert not check(*key, truth + "x")
        else:
            assert not check(*key, truth * 1.2)
            if 0.01 <= truth < 1:  # a share: 100x is a percentage (not so for a tiny error such as 1e-4)
                pct = check(*key, truth * 100)
                assert not pct and "percentage" in repr(pct)


def test_set_seed_reproducible_and_validated():
    set_seed(5, keras=False)
    a = (random.random(), np.random.rand())
    set_seed(5, keras=False)
    assert (random.random(), np.random.rand()) == a
    with pytest.raises(TypeError):
        set_seed(1.5)
    with pytest.raises(ValueError):
        set_seed(-1)


def test_set_seed_keras_is_deterministic():
    set_seed(3)
    import keras

    x1 = keras.random.normal((3,), seed=None)
    set_seed(3)
    x2 = keras.random.normal((3,), seed=None)
    np.testing.assert_array_equal(np.asarray(x1), np.asarray(x2))


def test_environment_report():
    rep = environment_report()
    assert rep["python"].count(".") == 2
    assert rep["numpy"] == np.__version__
    assert environment_report(("surely-not-installed-pkg",))["surely-not-installed-pkg"] == "not installed"


def test_warnings_to_stdout(capsys):
    import warnings

    from retail_lab.repro import warnings_to_stdout

    saved = warnings.showwarning
    try:
        warnings_to_stdout()
        warnings.warn("look here", UserWarning)
    finally:
        warnings.showwarning = saved
    out = capsys.readouterr()
    assert "UserWarning: look here" in out.out and out.err == ""


def test_gradient_check_case_is_the_chapter_network():
    """Chapter 4's gradient check and exercise 4.3 build the network in one place; the bias
    shift moves every bias, and a larger finite-difference step gives a larger error."""
    from retail_lab.evaluation import gradient_check_case, gradient_check_errors

    net, X, y = gradient_check_case(seed=0)
    shifted, X2, y2 = gradient_check_case(seed=0, bias_shift=0.1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    for b, b2 in zip(net.biases_, shifted.biases_):
        np.testing.assert_allclose(b2 - b, 0.1)
    small, large = max(gradient_check_errors(shifted, X, y, 1e-5)), max(gradient_check_errors(shifted, X, y, 1e-2))
    assert small < 1e-6 < large


@pytest.mark.realdata
@pytest.mark.parametrize("ch", [c.legacy for c in CHAPTERS if c.legacy in
                                ("ch01", "ch02", "ch03", "ch04", "ch05", "ch11", "ch12", "ch13", "ch14")])
def test_setup_reports_settings_not_empty(ch, real_data, monkeypatch):
    """Each checker module says what it computes with (tests/test_exercise_setups.py compares
    these with what the chapter glued)."""
    import importlib

    monkeypatch.setenv("RETAIL_LAB_DATA", str(real_data))
    setup = importlib.import_module(f"retail_lab.exercises.{ch}").setup()
    assert setup and all(isinstance(v, (str, int, float)) for v in setup.values()), setup
