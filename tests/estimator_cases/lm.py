"""Conformance cases for the transformer pieces of appendix B (:mod:`retail_lab.lm`)."""

from __future__ import annotations

import numpy as np

from estimator_cases import Case
from retail_lab.lm import MaskedLanguageModel, TransformerIntentClassifier, WordPieceTokenizer

_OPENINGS = ["i want to", "please help me", "how do i", "can you", "i need to", "help me"]
_INTENTS = {
    "cancel_order": ["cancel my order", "stop my purchase"],
    "track_order": ["track my order", "see where my parcel is"],
    "get_refund": ["get a refund", "get my money back"],
}


def _texts():
    """36 short utterances over 3 intents (12 each)."""
    texts, labels = [], []
    for intent, phrases in _INTENTS.items():
        for opening in _OPENINGS:
            for phrase in phrases:
                texts.append(f"{opening} {phrase}")
                labels.append(intent)
    return np.array(texts), np.array(labels)


def _corpus():
    return (list(_texts()[0]) + ["white hanging heart t-light holder", "red retrospot cake stand",
                                 "we will refund your order within five days"],)


_PROBE = ["please cancel my order", "where is my parcel", "money back please"]
_TINY = dict(vocab_size=60, seq_len=8, dim=8, heads=2, layers=1, ffn=16, dropout=0.1)

CASES = [
    Case(
        cls=WordPieceTokenizer,
        params=dict(vocab_size=40, min_frequency=1),
        fit_args=_corpus,
        output=lambda t: t.encode(_PROBE, 8),
        unfitted=lambda t: t.encode(_PROBE, 8),
        bad_params={"vocab_size": 3, "min_frequency": 0},
    ),
    Case(
        cls=MaskedLanguageModel,
        params=dict(**_TINY, mask_rate=0.15, steps=4, batch_size=8, learning_rate=0.01, checkpoints=(2,),
                    eval_share=0.2, seed=0),
        fit_args=_corpus,
        output=lambda m: (m.encoder_.weights, m.history_),
        unfitted=lambda m: m.predict_masked(["cancel my [MASK]"]),
        bad_params={"vocab_size": 0, "seq_len": 2, "dim": 7, "heads": 0, "layers": 1.5, "ffn": "16",
                    "dropout": 1.0, "mask_rate": 0.0, "steps": 0, "batch_size": None, "learning_rate": -1.0,
                    "checkpoints": (5,), "eval_share": 1.0, "seed": -1},
    ),
    Case(
        cls=TransformerIntentClassifier,
        params=dict(encoder=None, init="pretrained", **_TINY, epochs=2, batch_size=8, learning_rate=0.01, seed=0),
        fit_args=_texts,
        output=lambda m: (m.predict_proba(_PROBE), m.history_),
        unfitted=lambda m: m.predict_proba(_PROBE),
        bad_params={"init": "warm", "vocab_size": 2, "seq_len": 0, "dim": 9, "heads": -1, "layers": 0,
                    "ffn": 0, "dropout": -0.1, "epochs": 0, "batch_size": 0, "learning_rate": 0.0, "seed": -1,
                    "encoder": 3},
    ),
]
