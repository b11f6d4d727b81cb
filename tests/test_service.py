"""Customer-service tools: splits, classifiers, answering, robustness, queues."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_lab import service

TEXTS = (["I want to cancel order 1234567", "please cancel my purchase 7654321", "cancel order now",
          "how do I cancel an order", "cancel the order I placed"] * 4
         + ["where is my order 555555", "track my package", "track order status", "where's my parcel",
            "tracking for purchase 123456"] * 4)
LABELS = ["cancel_order"] * 20 + ["track_order"] * 20
RESPONSES = ["To cancel order {{Order Number}}, open {{Order History}} or call {{Customer Support Phone Number}}."] * 20 + \
            ["Track {{Order Number}} in {{Track Order}}."] * 20


def test_normalize_and_groups():
    assert service.normalize("Cancel ORDER #12345!!") == "cancel order 0"
    g = service.near_duplicate_groups(["cancel order 1", "cancel order 2", "track parcel"], ["a", "a", "a"], 0.8)
    assert g[0] == g[1] != g[2]
    g = service.near_duplicate_groups(["cancel order 1", "cancel order 2"], ["a", "b"], 0.8)
    assert g[0] != g[1], "different labels are never grouped"


def test_template_split_keeps_groups_together_and_every_label_trainable():
    texts = np.array(TEXTS)
    labels = np.array(LABELS)
    tr, te = service.template_split(texts, labels, test_size=0.3, seed=0)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(texts)
    groups = service.near_duplicate_groups(texts, labels)
    assert not set(groups[tr]) & set(groups[te]), "a near-duplicate group crossed the split"
    assert set(labels[tr]) == set(labels)
    tr2, te2 = service.random_split(labels, 0.25, seed=0)
    assert sorted(pd.Series(labels[te2]).value_counts()) == [5, 5]


def test_tfidf_classifier_and_responder():
    clf = service.TfidfIntentClassifier().fit(TEXTS, LABELS)
    assert (clf.predict(["cancel order 42"]) == ["cancel_order"]).all()
    r = service.Responder(clf, TEXTS, LABELS, RESPONSES, threshold=0.5)
    a = r.answer("Please cancel order 9876543")
    assert not a.handover and a.intent == "cancel_order"
    assert a.text == "To cancel order 9876543, open Order History or call our customer-support line."
    no_id = r.answer("cancel my order please")
    assert "[your order number]" in no_id.text and no_id.missing == ("your order number",)
    assert "please send me your order number" in no_id.text


@pytest.mark.parametrize("message,reason", [
    ("", "empty message"), ("   ", "empty message"), (None, "empty message"), ("!!!", "empty message"),
])
def test_unusable_input_goes_to_a_person(message, reason):
    clf = service.TfidfIntentClassifier().fit(TEXTS, LABELS)
    a = service.Responder(clf, TEXTS, LABELS, RESPONSES).answer(message)
    assert a.handover and a.reason == reason


def test_long_foreign_and_out_of_scope_inputs_do_not_crash():
    clf = service.TfidfIntentClassifier().fit(TEXTS, LABELS)
    r = service.Responder(clf, TEXTS, LABELS, RESPONSES, threshold=0.9, max_chars=100)
    long = r.answer("cancel order " * 1000)
    assert long.handover and long.reason.startswith("message too long (13000 characters > max_chars=100")
    for msg in ("我想取消订单", "¿dónde está mi pedido?", "what is the weather like", "🙂" * 20):
        a = r.answer(msg)
        assert isinstance(a, service.Answer) and (a.handover or a.confidence >= 0.9)
        assert a.handover, f"{msg!r} should go to a person at threshold 0.9"


def test_tradeoff_is_monotone():
    clf = service.TfidfIntentClassifier().fit(TEXTS, LABELS)
    r = service.Responder(clf, TEXTS, LABELS, RESPONSES)
    t = r.tradeoff(TEXTS, LABELS, thresholds=[0.0, 0.5, 0.9, 1.0])
    assert t["automation_rate"].is_monotonic_decreasing
    # every training message passes the hand-over screen, so threshold 0 automates all of them
    assert t["automation_rate"].iloc[0] == 1.0 and t["automation_rate"].iloc[-1] < 1.0
    with pytest.raises(ValueError, match="threshold must be in"):
        r.tradeoff(TEXTS, LABELS, thresholds=[1.01])


def test_add_typos():
    assert service.add_typos("hello world", 0.0) == "hello world"
    noisy = service.add_typos("hello world", 1.0, seed=1)
    assert noisy != "hello world"
    with pytest.raises(ValueError):
        service.add_typos("x", 2)


def test_fill_placeholders():
    out = service.fill_placeholders("Order {{Order Number}} via {{Website Name}} / {{My Orders}}",
                                    "about ORD123456 please", {"Website Name": "shop.example"})
    assert out == "Order ORD123456 via shop.example / My Orders"


def test_erlang_c_against_closed_form_and_simulation():
    # single server (M/M/1): Wq = rho / (mu - lambda)
    assert service.erlang_c_wait(0.5, 1.0, 1) == pytest.approx(0.5 / (1.0 - 0.5))
    w = service.erlang_c_wait(10, 2, 6)
    # waits are strongly autocorrelated at 83% utilisation: average independent replications
    sim = np.mean([service.simulate_queue(10, 2, 6, n=100_000, seed=s).mean() for s in range(8)])
    assert sim == pytest.approx(w, rel=0.05)
    with pytest.raises(ValueError, match="unstable"):
        service.erlang_c_wait(10, 1, 5)


# ---------------------------------------------------------------- the estimator convention
def test_classifiers_are_sklearn_estimators_and_clone():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.model_selection import GridSearchCV

    clf = service.TfidfIntentClassifier(C=3.0)
    assert clf.get_params() == {"C": 3.0} and set(vars(clf)) == {"C"}
    with pytest.raises(NotFittedError, match="TfidfIntentClassifier.*fit"):
        clf.predict(["cancel"])
    clf.fit(TEXTS, LABELS)
    twin = clone(clf)
    assert twin.get_params() == {"C": 3.0} and not hasattr(twin, "pipeline_")
    np.testing.assert_array_equal(twin.fit(TEXTS, LABELS).predict_proba(TEXTS), clf.predict_proba(TEXTS))
    # scikit-learn's model selection works with it (a classifier: stratified folds, accuracy)
    assert clf.score(TEXTS, LABELS) == 1.0
    search = GridSearchCV(service.TfidfIntentClassifier(), {"C": [0.1, 10.0]}, cv=2)
    search.fit(np.array(TEXTS), np.array(LABELS))
    assert search.best_params_["C"] in (0.1, 10.0)
    k = service.KerasIntentClassifier(epochs=-1, dim="x")  # nothing is checked in __init__
    assert set(vars(k)) == set(k.get_params()) and k.dim == "x"


def test_failed_refit_leaves_the_previous_fit_intact():
    clf = service.TfidfIntentClassifier().fit(TEXTS, LABELS)
    before = clf.predict_proba(TEXTS)
    with pytest.raises(ValueError, match="C must be"):
        clf.set_params(C=-1.0).fit(TEXTS[:20] + ["track"], LABELS[:20] + ["track_order"])
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), before)
    assert list(clf.classes_) == ["cancel_order", "track_order"]


def test_keras_history_is_a_frame_per_epoch():
    m = service.KerasIntentClassifier(max_tokens=50, sequence_length=8, dim=4, filters=4, epochs=3,
                                      batch_size=16, seed=0)
    m.fit(TEXTS, LABELS, validation=(TEXTS[::5], LABELS[::5]))
    h = m.history_
    assert isinstance(h, pd.DataFrame) and h.index.name == "epoch" and list(h.index) == [1, 2, 3]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(h.columns)
    # the last validation accuracy is what the fitted model scores on the validation texts
    acc = float((m.predict(TEXTS[::5]) == np.array(LABELS[::5])).mean())
    assert h["val_accuracy"].iloc[-1] == pytest.approx(acc, abs=1e-6)
    assert set(m.fit(TEXTS, LABELS).history_.columns) == {"accuracy", "loss"}  # refit starts over
