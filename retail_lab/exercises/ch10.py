"""Exercises of chapter 6.4 Customer service (notebooks/10_customer_service.ipynb): each checker computes its answer."""

from __future__ import annotations

import functools

from ._core import Question, register


@functools.lru_cache(maxsize=1)
def _ch10_setup():
    from ..datasets import load_bitext_support
    from ..service import Responder, TfidfIntentClassifier, template_split

    b = load_bitext_support()
    texts, intents = b["instruction"].to_numpy(str), b["intent"].astype(str).to_numpy()
    tr, te = template_split(texts, intents, 0.25, seed=0, threshold=0.8)
    model = TfidfIntentClassifier().fit(texts[tr], intents[tr])
    responder = Responder(model, texts[tr], intents[tr], b["response"].to_numpy(str)[tr])
    return texts[te], intents[te], model, responder


def _ch10_f1() -> float:
    from sklearn.metrics import f1_score

    texts, intents, model, _ = _ch10_setup()
    return float(f1_score(intents, model.predict(texts), average="macro"))


def _ch10_automation() -> float:
    texts, intents, _, responder = _ch10_setup()
    return float(responder.tradeoff(texts, intents, thresholds=[0.9])["automation_rate"].iloc[0])


def _ch10_wait() -> float:
    from ..service import erlang_c_wait

    return erlang_c_wait(40, 6, 9) * 60


register(
    Question("ch10", "q1", _ch10_f1, "float", 0.005, "Fit on the template split's training part; macro-F1 on "
             "its test part."),
    Question("ch10", "q2", _ch10_automation, "float", 0.005, "Use Responder.tradeoff on the template split's "
             "test messages."),
    Question("ch10", "q3", _ch10_wait, "float", 0.001, "Erlang C: service.erlang_c_wait(arrivals, per_agent, "
             "agents) is in hours."),
)
