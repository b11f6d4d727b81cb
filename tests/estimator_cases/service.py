"""Conformance cases for the intent classifiers of chapter 10 (:mod:`retail_lab.service`)."""

from __future__ import annotations

import numpy as np

from estimator_cases import Case
from retail_lab.service import KerasIntentClassifier, TfidfIntentClassifier

_OPENINGS = ["i want to", "please help me", "how do i", "can you", "i need to", "help me",
             "how can i", "i would like to"]
_INTENTS = {
    "cancel_order": ["cancel my order", "cancel order 123", "stop my purchase"],
    "track_order": ["track my order", "see where my parcel is", "check my delivery"],
    "get_refund": ["get a refund", "get my money back", "return an item for a refund"],
}


def _texts():
    """48 short utterances over 3 intents (16 each): every opening with two of the phrases."""
    texts, labels = [], []
    for intent, phrases in _INTENTS.items():
        for i, opening in enumerate(_OPENINGS):
            for phrase in (phrases[i % 3], phrases[(i + 1) % 3]):
                texts.append(f"{opening} {phrase}")
                labels.append(intent)
    return np.array(texts), np.array(labels)


def _validation():
    texts, labels = _texts()
    return {"validation": (texts[::4], labels[::4])}


_PROBE = ["please cancel my order", "where is my parcel", "money back please"]

CASES = [
    Case(
        cls=TfidfIntentClassifier,
        params=dict(C=5.0),
        fit_args=_texts,
        output=lambda m: m.predict_proba(_PROBE),
        unfitted=lambda m: m.predict(_PROBE),
        bad_params={"C": -1.0},
    ),
    Case(
        cls=KerasIntentClassifier,
        params=dict(max_tokens=60, sequence_length=8, dim=4, filters=4, epochs=2, batch_size=16,
                    learning_rate=0.01, seed=0),
        fit_args=_texts,
        fit_kwargs=_validation,
        output=lambda m: (m.predict_proba(_PROBE), m.history_),
        unfitted=lambda m: m.predict_proba(_PROBE),
        bad_params={"max_tokens": 0, "sequence_length": 2.5, "dim": -1, "filters": "4", "epochs": 0,
                    "batch_size": None, "learning_rate": 0.0, "seed": -1},
    ),
]
