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


# --------------------------------------------------------------------------- how far accuracy travels
MESSAGES = ["I want to cancel order 1234567", "How can I get a refund for my order?",
            "I need help to track my delivery 555555", "Please check the invoice #00108",
            "can you help me talk to a human agent", "I would like to change my shipping address"]


@pytest.mark.parametrize("style", service.REPHRASE_STYLES)
def test_rephrase_is_seeded_keeps_numbers_and_changes_wording(style):
    a = service.rephrase(MESSAGES, style=style, seed=3)
    assert a == service.rephrase(MESSAGES, style=style, seed=3), "same seed, same output"
    assert len(a) == len(MESSAGES) and all(isinstance(t, str) and t for t in a)
    assert sum(x != y for x, y in zip(a, MESSAGES)) >= len(MESSAGES) - 1, "almost every message is rewritten"
    for before, after in zip(MESSAGES, a):
        for number in ("1234567", "555555", "00108"):
            assert (number in before) == (number in after), "order and invoice numbers are kept"
    many = [m for _ in range(20) for m in MESSAGES]
    assert len(set(service.rephrase(many, style=style, seed=0))) > len(MESSAGES), "choices vary by message"


def test_rephrase_styles_do_what_they_say():
    many = [m for _ in range(30) for m in MESSAGES]
    coll = service.rephrase(many, style="colloquial", seed=0)
    assert all(t == t.lower() for t in coll)
    assert any(" u " in f" {t} " or "pls" in t or "thx" in t or "wanna" in t for t in coll)
    reworded = service.rephrase(many, style="reworded", seed=0)
    keywords = ("refund", "invoice", "cancel", "human agent", "shipping address")
    before = sum(k in t.lower() for t in many for k in keywords)
    after = sum(k in t.lower() for t in reworded for k in keywords)
    assert after < 0.4 * before, "most key retail words are replaced by everyday synonyms"
    assert service.rephrase([], style="both") == []


def test_rephrase_rejects_bad_input():
    with pytest.raises(ValueError, match="style must be one of"):
        service.rephrase(MESSAGES, style="shouty")
    with pytest.raises(TypeError, match="single string"):
        service.rephrase("cancel my order")
    with pytest.raises(ValueError, match="seed"):
        service.rephrase(MESSAGES, seed=-1)


def test_robustness_sets_are_rewrites_of_the_same_messages():
    sets = service.robustness_sets(MESSAGES, seed=2, typo_rate=0.3)
    assert list(sets) == ["as written", "typos", "colloquial", "reworded", "both"]
    assert sets["as written"] == MESSAGES and all(len(v) == len(MESSAGES) for v in sets.values())
    assert sets["typos"] == [service.add_typos(t, 0.3, seed=2 + i) for i, t in enumerate(MESSAGES)]
    assert sets["reworded"] == service.rephrase(MESSAGES, "reworded", seed=2)


def test_score_with_interval_matches_sklearn_and_averages_runs():
    from sklearn.metrics import accuracy_score, f1_score

    from retail_lab.service import _macro_f1_counts

    rng = np.random.default_rng(0)
    y = rng.choice(list("abcde"), 300)
    p1 = np.where(rng.random(300) < 0.7, y, rng.choice(list("abcdef"), 300))
    p2 = np.where(rng.random(300) < 0.5, y, rng.choice(list("abcde"), 300))
    s = service.score_with_interval(y, p1, n_boot=200)
    assert s["accuracy"] == pytest.approx(accuracy_score(y, p1))
    assert s["macro_f1"] == pytest.approx(f1_score(y, p1, average="macro"))
    assert s["macro_f1_lo"] < s["macro_f1"] < s["macro_f1_hi"] and s["accuracy_sd"] == 0 and s["runs"] == 1
    # each bootstrap row is scored as scikit-learn scores that resample (labels present in it)
    codes = {c: i for i, c in enumerate("abcdef")}
    yc, pc = np.array([codes[v] for v in y]), np.array([codes[v] for v in p1])
    idx = rng.integers(0, 300, size=(5, 300))
    got = _macro_f1_counts(yc, pc, 6, idx)
    for row, (acc, f1) in zip(idx, got):
        assert acc == pytest.approx(accuracy_score(yc[row], pc[row]))
        assert f1 == pytest.approx(f1_score(yc[row], pc[row], average="macro"))
    two = service.score_with_interval(y, [p1, p2], n_boot=200)
    assert two["macro_f1"] == pytest.approx((f1_score(y, p1, average="macro") + f1_score(y, p2, average="macro")) / 2)
    assert two["macro_f1_sd"] > 0 and two["runs"] == 2
    with pytest.raises(ValueError, match="lengths differ"):
        service.score_with_interval(y, p1[:10])


def test_score_with_interval_cluster_bootstrap_resamples_whole_groups():
    from sklearn.metrics import accuracy_score, f1_score

    from retail_lab.service import cluster_bootstrap_weights, _macro_f1_counts, _macro_f1_weighted

    rng = np.random.default_rng(1)
    y = rng.choice(list("abcd"), 200)
    p = np.where(rng.random(200) < 0.6, y, rng.choice(list("abcd"), 200))
    groups = np.repeat(np.arange(20), 10)
    w = cluster_bootstrap_weights(groups, n_boot=50, seed=0)
    # whole groups repeat together, and each resample draws as many groups as there are
    assert w.shape == (50, 200) and np.all(w.reshape(50, 20, 10).std(axis=2) == 0)
    assert np.all(w.sum(axis=1) == 200)
    # weighted counts equal the scores of the expanded resample
    codes = {c: i for i, c in enumerate("abcd")}
    yc, pc = np.array([codes[v] for v in y]), np.array([codes[v] for v in p])
    got = _macro_f1_weighted(yc, pc, 4, w[:5])
    for row, (acc, f1) in zip(w[:5], got):
        idx = np.repeat(np.arange(200), row.astype(int))
        assert acc == pytest.approx(accuracy_score(yc[idx], pc[idx]))
        assert f1 == pytest.approx(f1_score(yc[idx], pc[idx], average="macro"))
    # with one message per group the weighted path matches the message bootstrap's counts
    idx = rng.integers(0, 200, size=(3, 200))
    ones = np.stack([np.bincount(r, minlength=200) for r in idx]).astype(float)
    assert np.allclose(_macro_f1_weighted(yc, pc, 4, ones), _macro_f1_counts(yc, pc, 4, idx))
    s = service.score_with_interval(y, p, n_boot=300, groups=groups)
    assert s["accuracy"] == pytest.approx(accuracy_score(y, p))
    assert s["macro_f1_lo"] < s["macro_f1"] < s["macro_f1_hi"]
    # the normal interval is centred on the score
    assert s["accuracy"] - s["accuracy_lo"] == pytest.approx(s["accuracy_hi"] - s["accuracy"])
    with pytest.raises(ValueError, match="lengths differ"):
        service.score_with_interval(y, p, groups=groups[:10])


def test_wait_with_assistant_is_erlang_c_on_the_handed_over_share():
    q = service.BOOK_QUEUE
    assert service.wait_with_assistant(0.0) == pytest.approx(
        service.erlang_c_wait(q["arrival_rate"], q["service_rate"], q["agents"]))
    assert service.wait_with_assistant(1.0) == 0.0
    assert service.wait_with_assistant(0.25, 40, 6, 8) == pytest.approx(0.75 * service.erlang_c_wait(30, 6, 8))
    waits = [service.wait_with_assistant(a) for a in np.linspace(0, 1, 11)]
    assert all(a > b for a, b in zip(waits[:-1], waits[1:])), "more automation, shorter wait"
    with pytest.raises(ValueError, match="automated_share"):
        service.wait_with_assistant(1.5)
    with pytest.raises(ValueError, match="unstable"):
        service.wait_with_assistant(0.0, 50, 6, 8)


def test_automated_agrees_with_tradeoff_and_family_split_is_the_low_threshold_template_split():
    clf = service.TfidfIntentClassifier().fit(TEXTS, LABELS)
    r = service.Responder(clf, TEXTS, LABELS, RESPONSES, threshold=0.6)
    msgs = TEXTS + ["", "12345678", "what is the weather"]
    truth = LABELS + ["cancel_order"] * 3
    for t in (0.0, 0.6, 0.9):
        auto = r.automated(msgs, threshold=t)
        assert auto.dtype == bool and len(auto) == len(msgs) and not auto[len(TEXTS)]
        assert auto.mean() == pytest.approx(r.tradeoff(msgs, truth, thresholds=[t])["automation_rate"].iloc[0])
    assert (r.automated(msgs) == r.automated(msgs, threshold=0.6)).all()
    tr, te = service.family_split(TEXTS, LABELS, seed=1)
    tr2, te2 = service.template_split(TEXTS, LABELS, seed=1, threshold=service.FAMILY_THRESHOLD)
    assert (tr == tr2).all() and (te == te2).all()
