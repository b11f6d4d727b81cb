"""Exercises of chapter 6.4 Customer service (notebooks/10_customer_service.ipynb): each checker computes its answer.

All three work on the chapter's phrasing-family split (:func:`retail_lab.service.family_split`)
with the TF-IDF model and the assistant the chapter builds on it, and change one parameter the
chapter fixes: the typo rate, the confidence threshold, the number of agents.
"""

from __future__ import annotations

import functools

from ._core import Question, register

#: What the exercises change (the chapter uses service.TYPO_RATE, the responder's 0.6, 8 agents).
TYPO_RATE_EXERCISE = 0.2
THRESHOLD_EXERCISE = 0.7
AGENTS_EXERCISE = 7


@functools.lru_cache(maxsize=1)
def _ch10_setup():
    """The chapter's family split, TF-IDF model and assistant (threshold 0.6)."""
    from ..datasets import load_bitext_support
    from ..service import Responder, TfidfIntentClassifier, family_split

    b = load_bitext_support()
    texts, intents = b["instruction"].to_numpy(str), b["intent"].astype(str).to_numpy()
    tr, te = family_split(texts, intents)
    model = TfidfIntentClassifier().fit(texts[tr], intents[tr])
    responder = Responder(model, texts[tr], intents[tr], b["response"].to_numpy(str)[tr])
    return texts, intents, tr, te, model, responder


def setup() -> dict:
    """The values the checkers compute with, as the chapter glues them (``setup_<key>``)."""
    import inspect

    from ..service import BOOK_QUEUE, FAMILY_THRESHOLD, robustness_sets

    _, _, tr, te, _, responder = _ch10_setup()
    return {"family_threshold": FAMILY_THRESHOLD, "family_train": int(len(tr)), "family_test": int(len(te)),
            "rephrase_seed": inspect.signature(robustness_sets).parameters["seed"].default,
            "threshold": float(responder.threshold), "arrivals": float(BOOK_QUEUE["arrival_rate"]),
            "per_agent": float(BOOK_QUEUE["service_rate"]), "agents": int(BOOK_QUEUE["agents"])}


def _ch10_typo_accuracy() -> float:
    from ..service import robustness_sets

    texts, intents, _, te, model, _ = _ch10_setup()
    typos = robustness_sets(texts[te], typo_rate=TYPO_RATE_EXERCISE)["typos"]
    return float((model.predict(typos) == intents[te]).mean())


def _ch10_automation() -> float:
    texts, _, _, te, _, responder = _ch10_setup()
    return float(responder.automated(texts[te], threshold=THRESHOLD_EXERCISE).mean())


def _ch10_wait() -> float:
    from ..service import BOOK_QUEUE, wait_with_assistant

    texts, _, _, te, _, responder = _ch10_setup()
    share = float(responder.automated(texts[te]).mean())
    return wait_with_assistant(share, BOOK_QUEUE["arrival_rate"], BOOK_QUEUE["service_rate"],
                               AGENTS_EXERCISE) * 60


register(
    Question("ch10", "q1", _ch10_typo_accuracy, "float", 0.005,
             "service.robustness_sets(texts[fte], typo_rate=0.2)['typos'], then the accuracy of the "
             "family split's TF-IDF model on them.", needs_code=True),
    Question("ch10", "q2", _ch10_automation, "float", 0.005,
             "hard_assistant.automated(texts[fte], threshold=0.7).mean(): the share that passes the "
             "screen and reaches the threshold.", needs_code=True),
    Question("ch10", "q3", _ch10_wait, "float", 0.005,
             "service.wait_with_assistant(auto_hard, arrivals, per_agent, 7) is in hours; "
             "multiply by 60.", needs_code=True),
)
