"""Hostile input for the customer-service assistant (issue 12, item 1).

- identifiers are filled as whole tokens: no splice (4455667788 -> 445566778890), no foreign id
  (another row's order number, a 64-hex id) in any answer; checked by hand, over the whole
  Bitext file, and with Hypothesis;
- low-information messages (digits only, one word, empty, another alphabet or language, too
  long) go to a person, with the reason;
- parameters and odd types are rejected with a message that says what to do.

The identifier checks use an independent oracle: every maximal run of ASCII digits (3+ or 4+
digits) in an answer must be a maximal run of the customer's own message, and every 8+ hex
run with a digit must occur in the message. A splice fails it (its run is not one of the
message's runs), and so does a foreign id.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.exceptions import NotFittedError

from retail_lab import service

# A toy training set in the Bitext style: the answers repeat the example customer's own
# order number (once with two extra digits, as the real file does: 3707955617 -> 370795561790),
# another row's 64-hex id, an invoice number and an amount.
HEX = "7C23D0EF3E8A2D89E89176EFDAA748B42A613942012DD9CE1AB237D72381004B"
TRAIN = [
    ("I want to cancel order 3707955617", "cancel_order",
     "I understand you want to cancel order 370795561790. Go to {{Order History}}, find {{Order Number}} "
     "and press cancel, or call {{Customer Support Phone Number}}."),
    ("please cancel my purchase 1234567", "cancel_order",
     "To cancel purchase {{" + HEX + "}}, open {{Order History}} and select {{Purchase ID Anonymized}}."),
    ("cancel order now", "cancel_order", "To cancel order {{Order Number}}, open {{Order History}}."),
    ("how do I cancel an order", "cancel_order", "To cancel {{Order Number Anonymized}}, open {{Cancel Order}}."),
    ("cancel the order I placed", "cancel_order", "To cancel order #00004587345, open {{Order History}}."),
    ("where is my order 555555", "track_order", "Order 00555555 is on its way; see {{Track Order}}."),
    ("track my package", "track_order", "Track {{Order Number}} in {{Track Order}}."),
    ("track order status", "track_order", "Track {{Order Number}} in {{Order Status}}."),
    ("where's my parcel", "track_order", "Your parcel {{Order Number}} is listed in {{Track Order}}."),
    ("tracking for purchase 123456", "track_order", "Tracking for purchase 123456 is in {{Track Order}}."),
    ("check my invoice #00108", "check_invoice", "You can see invoice #00108 under {{Invoices}}."),
    ("I want to see my bill #85632", "check_invoice", "Bill #85632 is in {{Billing}}; {{Bill Number Anonymized}}."),
    ("refund of $299 please", "get_refund", "A refund of $299 for {{Order Number}} takes 5-10 days."),
    ("I want a refund of 1200 dollars", "get_refund", "Your refund of $1200 is on its way, 24/7 support."),
]
TEXTS = [t for t, _, _ in TRAIN] * 3
LABELS = [l for _, l, _ in TRAIN] * 3
RESPONSES = [r for _, _, r in TRAIN] * 3
DATA_IDS = ["3707955617", "370795561790", "1234567", "4587345", "00004587345", "555555", "00555555",
            "123456", "00108", "85632", "299", "1200", HEX]


@functools.lru_cache(maxsize=1)
def _classifier():
    return service.TfidfIntentClassifier().fit(TEXTS, LABELS)


def _responder(**kw) -> service.Responder:
    return service.Responder(_classifier(), TEXTS, LABELS, RESPONSES, **{"threshold": 0.0, **kw})


def _foreign(answer: str, message: str, min_digits: int = 4) -> list[str]:
    """Identifiers in ``answer`` that are not the customer's own (independent of the module)."""
    own = set(re.findall(r"[0-9]+", message))
    bad = [d for d in re.findall(r"[0-9]+", answer) if len(d) >= min_digits and d not in own]
    bad += [h for h in re.findall(r"[0-9A-Fa-f]{8,}", answer)
            if any(c.isdigit() for c in h) and h not in message]
    return bad


# --------------------------------------------------------------------------- identifiers
def test_find_identifiers_whole_tokens():
    assert service.find_identifiers("cancel order 4455667788 asap") == ["4455667788"]
    assert service.find_identifiers("order#4455667788, and again 4455667788") == ["4455667788"]
    assert service.find_identifiers("about ORD123456 please") == ["ORD123456"]
    assert service.find_identifiers("orders 123456 and 654321") == ["123456", "654321"]
    assert service.find_identifiers("refund $12345 for 1234 items") == [], "amounts and short numbers are not ids"
    assert service.find_identifiers("12345678") == ["12345678"]
    assert service.find_identifiers(None) == [] and service.find_identifiers("") == []


def test_chapter_splice_trial_order_4455667788():
    """Issue trial: the answer's 370795561790 (example id + '90') must not become 445566778890."""
    out = service.fill_placeholders(TRAIN[0][2], "hi, I need to cancel order 4455667788 asap", example=TRAIN[0][0])
    assert "445566778890" not in out and "3707955617" not in out
    assert out.count("4455667788") == 2
    assert out == ("I understand you want to cancel order 4455667788. Go to Order History, find 4455667788 "
                   "and press cancel, or call our customer-support line.")
    # the same through the responder, whichever cancel answer it picks
    a = _responder().answer("hi, I need to cancel order 4455667788 asap")
    assert not a.handover and a.intent == "cancel_order"
    assert "4455667788" in a.text and _foreign(a.text, "4455667788", 3) == []


def test_foreign_literal_id_is_never_kept():
    """Issue trial: a response whose literal id (64-hex) differs from its instruction's id."""
    out = service.fill_placeholders(TRAIN[1][2], "cancel order 1234567", example=TRAIN[1][0])
    assert HEX not in out and out == "To cancel purchase 1234567, open Order History and select 1234567."
    out = service.fill_placeholders(TRAIN[1][2], "cancel my order", example=TRAIN[1][0])
    assert out == "To cancel purchase [your order number], open Order History and select [your order number]."
    out = service.fill_placeholders(TRAIN[1][2], "cancel order 9876543", example=TRAIN[1][0])
    assert out == "To cancel purchase 9876543, open Order History and select 9876543."
    # without the example the literal ids are still recognised as identifiers
    out = service.fill_placeholders("Order 370795561790 and #00108 cost $299.", "order 55555555")
    assert out == "Order 55555555 and 55555555 cost [the amount]."


def test_slot_template_hand_cases():
    assert service.slot_template("cancel order 370795561790.", "cancel order 3707955617") == "cancel order {{Order Number}}."
    assert service.slot_template("bill #00108 here", "my bill #00108") == "bill {{Invoice Number}} here"
    assert service.slot_template("refund of 350 and $299", "refund of $350") == "refund of {{Amount}} and {{Amount}}"
    # short numbers that are not echoes stay: list markers, 24/7, day ranges
    t = "1. Log in 24/7.\n2. Wait 5-10 days or 3 weeks."
    assert service.slot_template(t, "cancel order 3707955617") == t
    assert service.slot_template("{{113542617735902}} / {{Website Name}}") == "{{Order Number}} / {{Website Name}}"


@pytest.mark.parametrize("message,expected", [
    ("cancel order 4455667788", "4455667788"),
    ("cancel order 00123842", "00123842"),
    ("please cancel ORD123456", "ORD123456"),
    ("cancel order #5551234567!", "5551234567"),
])
def test_own_id_is_used_when_message_has_exactly_one(message, expected):
    a = _responder().answer(message)
    assert not a.handover and expected in a.text and a.missing == ()
    assert _foreign(a.text, message, 3) == []


@pytest.mark.parametrize("message", ["cancel my order please", "please cancel order 123456 and 654321",
                                     "cancel order 1234", "cancel order １２３４５６７"])
def test_no_single_id_asks_instead_of_guessing(message):
    """No id, several ids, a short number, full-width digits: a neutral placeholder and a question."""
    a = _responder().answer(message)
    assert not a.handover and a.intent == "cancel_order"
    assert "[your order number]" in a.text and a.missing == ("your order number",)
    assert a.text.endswith("please send me your order number.") and "asking for your order number" in a.reason
    assert _foreign(a.text, message, 3) == []


def test_every_placeholder_kind_is_handled():
    out = service.fill_placeholders(
        "{{Order Number Anonymized}} {{Bill Number Anonymized}} {{Purchase Number Anonymized}} "
        "{{order number}} {{Customer Support Phone Number Anonymized}} {{customer support phone number}} "
        "{{Purchase Date Anonymized}} {{Amount}} {{Website URL}}",
        "my order 1234567 for $50", {"Website URL": "shop.example"})
    assert out == ("1234567 1234567 1234567 1234567 our customer-support line our customer-support line "
                   "Purchase Date $50 shop.example")
    assert "{{" not in out


# --------------------------------------------------------------------------- hand-over
@pytest.mark.parametrize("message,reason", [
    ("12345678", "too few known words (0 known"),
    ("refund", "too few known words (1 known"),
    ("cancel", "too few known words (1 known"),
    ("", "empty message"),
    ("   \n\t ", "empty message"),
    ("?!?", "empty message"),
    ("我想退货 123", "unfamiliar alphabet (0% of letters"),
    ("我想取消订单 cancel order 4455667788", "unfamiliar alphabet"),
    ("Я хочу отменить заказ 12345678", "unfamiliar alphabet"),
    ("quiero cancelar mi pedido 12345678", "too few known words"),
    ("cancel order, quiero cancelar mi pedido ahora mismo", "mostly unknown words (25% known"),
    ("cancel order " * 50, "message too long (650 characters > max_chars=500)"),
])
def test_low_information_messages_go_to_a_person(message, reason):
    """Issue trial: these were answered automatically with 0.70-0.77 confidence."""
    r = _responder()
    a = r.answer(message)
    assert a.handover and a.text == "" and a.reason.startswith(reason), a.reason
    assert r.screen(message) == (a.reason if a.reason != "empty message" else "empty message")


def test_screen_rule_hand_computed():
    r = _responder()
    assert r.screen("cancel order 12345678") is None
    assert r.screen("track my package") is None
    # two known words pass; one known word among three unknown fails the share rule
    assert r.screen("cancel order blorp snerf") is None  # 2 of 4 known = 50%
    assert r.screen("cancel order blorp snerf florb").startswith("mostly unknown words (40% known")
    assert _responder(min_known_words=1).screen("refund") is None
    assert _responder(min_known_words=0, min_known_share=0.0).screen("12345678") is None
    assert _responder(min_alphabet_share=0.0, min_known_words=0, min_known_share=0).screen("我想退货 123") is None


def test_tradeoff_counts_screened_messages_as_handed_over():
    r = _responder()
    texts = ["cancel order 1234567", "12345678", "refund", "我想退货 123"]
    t = r.tradeoff(texts, ["cancel_order"] * 4, thresholds=[0.0])
    assert t["automation_rate"].iloc[0] == pytest.approx(0.25)
    assert [r.answer(x).handover for x in texts] == [False, True, True, True]


class _Fixed:
    """A classifier that always predicts ``label`` with probability 1."""

    def __init__(self, label, classes=("cancel_order", "other")):
        self.classes_ = np.array(classes)
        self.label = label

    def predict_proba(self, texts):
        p = np.zeros((len(texts), len(self.classes_)))
        p[:, list(self.classes_).index(self.label)] = 1
        return p


def test_intent_without_responses_goes_to_a_person():
    r = service.Responder(_Fixed("other"), TEXTS, LABELS, RESPONSES)
    a = r.answer("cancel order 1234567")
    assert a.handover and a.reason == "no answer for intent 'other' in the responses"


@pytest.mark.parametrize("message", [None, float("nan"), pd.NA, b"cancel order 1234567", 12345678, 3.5,
                                     "\x00\x01\x02", "🙂" * 30, "a" * 10_000, "\u202ecancel order\u202c",
                                     ["cancel", "order"]])
def test_answer_never_raises_on_odd_messages(message):
    a = _responder().answer(message)
    assert isinstance(a, service.Answer) and isinstance(a.reason, str)
    assert a.handover or not _foreign(a.text, str(message), 3)


def test_answer_many_matches_answer():
    r = _responder(threshold=0.5)
    msgs = ["cancel order 4455667788", "", "12345678", "track my package 5554443332", "check invoice #12121"]
    assert r.answer_many(msgs) == [r.answer(m) for m in msgs]
    with pytest.raises(TypeError, match="for one message use answer"):
        r.answer_many("cancel order")


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("kw,err,match", [
    ({"threshold": 1.5}, ValueError, r"threshold must be in \[0, 1\], got 1.5"),
    ({"threshold": -0.1}, ValueError, "threshold must be in"),
    ({"threshold": float("nan")}, ValueError, "threshold must be a finite number"),
    ({"threshold": "0.6"}, TypeError, "threshold must be a number, got '0.6'"),
    ({"threshold": None}, TypeError, "threshold must be a number"),
    ({"threshold": True}, TypeError, "threshold must be a number, got True"),
    ({"max_chars": 0}, ValueError, "max_chars must be >= 1"),
    ({"max_chars": 2.5}, TypeError, "max_chars must be an integer"),
    ({"min_known_words": -1}, ValueError, "min_known_words must be >= 0"),
    ({"min_known_share": 2}, ValueError, "min_known_share must be in"),
    ({"min_alphabet_share": float("inf")}, ValueError, "min_alphabet_share must be a finite number"),
    ({"contacts": ["phone"]}, TypeError, "contacts must be a dict"),
    ({"contacts": {"Website Name": 42}}, TypeError, "contacts must map strings to strings"),
])
def test_responder_parameters_are_validated(kw, err, match):
    with pytest.raises(err, match=match):
        _responder(**kw)


def test_responder_rejects_bad_training_data_and_unfitted_classifier():
    clf = _classifier()
    with pytest.raises(ValueError, match="lengths differ"):
        service.Responder(clf, TEXTS, LABELS[:-1], RESPONSES)
    with pytest.raises(ValueError, match="empty"):
        service.Responder(clf, [], [], [])
    with pytest.raises(ValueError, match=r"missing value\(s\).*position\(s\) \[1\]"):
        service.Responder(clf, ["a", None], ["x", "y"], ["r", "s"])
    with pytest.raises(TypeError, match="fitted classifier"):
        service.Responder(service.TfidfIntentClassifier(), TEXTS, LABELS, RESPONSES)
    r = _responder()
    r.threshold = 7  # set after construction: caught when used
    with pytest.raises(ValueError, match="threshold must be in"):
        r.answer("cancel order 1234567")


def test_classifier_validates_in_fit_not_init():
    bad = service.TfidfIntentClassifier(C=0)  # storing is fine (estimator convention)
    assert bad.C == 0
    with pytest.raises(ValueError, match=r"C must be > 0, got 0"):
        bad.fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="C must be a finite number"):
        service.TfidfIntentClassifier(C=float("nan")).fit(TEXTS, LABELS)
    with pytest.raises(TypeError, match="C must be a number"):
        service.TfidfIntentClassifier(C="10").fit(TEXTS, LABELS)
    with pytest.raises(TypeError, match="wrap it in a list"):
        service.TfidfIntentClassifier().fit("cancel order", ["a"])
    with pytest.raises(ValueError, match="missing value"):
        service.TfidfIntentClassifier().fit(["a", None, "c"], ["x", "y", "x"])
    with pytest.raises(ValueError, match="labels has 1 missing"):
        service.TfidfIntentClassifier().fit(["a", "b", "c"], ["x", np.nan, "y"])
    with pytest.raises(ValueError, match="single intent"):
        service.TfidfIntentClassifier().fit(["a", "b"], ["x", "x"])
    with pytest.raises(ValueError, match="lengths differ"):
        service.TfidfIntentClassifier().fit(["a", "b", "c"], ["x", "y"])
    with pytest.raises(NotFittedError, match="call .fit"):
        service.TfidfIntentClassifier().predict(["cancel order"])
    with pytest.raises(TypeError, match="wrap it in a list"):
        _classifier().predict("cancel order")
    # integer labels keep their type
    clf = service.TfidfIntentClassifier().fit(["cancel it", "track it"] * 3, [1, 2] * 3)
    assert clf.classes_.tolist() == [1, 2]


@pytest.mark.parametrize("kw,err,match", [
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
    ({"batch_size": -4}, ValueError, "batch_size must be >= 1"),
    ({"learning_rate": 0}, ValueError, "learning_rate must be > 0"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate must be a finite number"),
    ({"max_tokens": "6000"}, TypeError, "max_tokens must be an integer"),
])
def test_keras_classifier_validates_before_building(kw, err, match):
    m = service.KerasIntentClassifier(**kw)
    with pytest.raises(err, match=match):
        m.fit(TEXTS, LABELS)


def test_keras_validation_labels_must_be_known():
    with pytest.raises(ValueError, match="do not occur in the training labels"):
        service.KerasIntentClassifier().fit(TEXTS, LABELS, validation=(["x"], ["unknown_intent"]))
    with pytest.raises(NotFittedError):
        service.KerasIntentClassifier().predict_proba(["x"])


def test_other_functions_validate_parameters():
    with pytest.raises(ValueError, match="k must be >= 0, got -1"):
        service.top_confusions(["a"], ["b"], k=-1)
    with pytest.raises(TypeError, match="k must be an integer"):
        service.top_confusions(["a"], ["b"], k=2.5)
    with pytest.raises(ValueError, match="y_pred has 1"):
        service.top_confusions(["a", "b"], ["b"])
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match="n_bins must be >= 1"):
        service.reliability_table(["a", "b"], proba, ["a", "b"], n_bins=0)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        service.reliability_table(["a", "b"], proba, ["a", "b", "c"])
    with pytest.raises(ValueError, match="NaN"):
        service.reliability_table(["a", "b"], np.array([[np.nan, 0.1], [0.2, 0.8]]), ["a", "b"])
    with pytest.raises(ValueError, match="rate must be a finite number"):
        service.add_typos("hello", float("nan"))
    with pytest.raises(TypeError, match="rate must be a number"):
        service.add_typos("hello", "0.1")
    with pytest.raises(TypeError, match="agents must be an integer"):
        service.erlang_c_wait(10, 2, 6.5)
    with pytest.raises(ValueError, match="arrival_rate must be a finite number"):
        service.erlang_c_wait(float("nan"), 2, 6)
    with pytest.raises(ValueError, match="service_rate must be > 0"):
        service.erlang_c_wait(1, 0, 6)
    with pytest.raises(ValueError, match="n must be >= 1"):
        service.simulate_queue(1, 2, 1, n=0)
    for bad in (0, 1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="test_size"):
            service.random_split(LABELS, bad)
    with pytest.raises(ValueError, match="threshold must be in"):
        service.near_duplicate_groups(TEXTS, LABELS, threshold=2)
    with pytest.raises(ValueError, match="lengths differ"):
        service.near_duplicate_groups(TEXTS, LABELS[:3])
    r = _responder()
    with pytest.raises(ValueError, match="threshold must be a finite number"):
        r.tradeoff(TEXTS, LABELS, thresholds=[float("nan")])
    with pytest.raises(ValueError, match="lengths differ"):
        r.tradeoff(TEXTS, LABELS[:2])


# --------------------------------------------------------------------------- the whole Bitext file
class _Oracle:
    """The true intent with probability 1 (the test is about filling answers, not classifying)."""

    def __init__(self, texts, intents):
        self.classes_ = np.array(sorted(set(intents)))
        self._lut = dict(zip(texts, intents))

    def predict_proba(self, texts):
        p = np.zeros((len(texts), len(self.classes_)))
        for i, t in enumerate(texts):
            p[i, np.searchsorted(self.classes_, self._lut[t])] = 1
        return p


def test_whole_bitext_file_has_no_foreign_or_spliced_id(real_data):
    from retail_lab.datasets import load_bitext_support

    b = load_bitext_support(real_data, download=False)
    texts = b["instruction"].to_numpy(str)
    intents = b["intent"].astype(str).to_numpy()
    responses = b["response"].to_numpy(str)
    r = service.Responder(_Oracle(texts, intents), texts, intents, responses)
    # no template keeps a literal identifier or amount of its example customer
    for tpl in r.templates_:
        assert _foreign(tpl, "", 4) == [], tpl[:200]
    answers = r.answer_many(texts)
    answered = 0
    for m, a in zip(texts, answers):
        if a.handover:
            assert a.text == ""
            continue
        answered += 1
        assert _foreign(a.text, m, 3) == [], (m, a.text[:300])
        if len(service.find_identifiers(m)) == 1:
            assert not {"your order number", "your invoice number"} & set(a.missing), m
    assert answered > 0.99 * len(texts)
    # every answer template filled with other customers' messages (a random other row, a fresh
    # id, no id, two ids): still no foreign or spliced identifier
    rng = np.random.default_rng(0)
    others = rng.permutation(len(texts))
    for tpl, j in zip(r.templates_, others):
        for msg in (texts[j], "please cancel order 4455667788", "help me with my order", "orders 123456 and 654321"):
            text, _ = service._fill(tpl, msg, None)
            assert _foreign(text, msg, 3) == [], (msg, text[:300])
            if msg == "please cancel order 4455667788":
                assert "445566778890" not in text


# --------------------------------------------------------------------------- Hypothesis
_WORDS = ["cancel", "order", "please", "my", "track", "package", "purchase", "the", "where", "is", "I", "want"]
_id = st.from_regex(r"\A(?:[0-9]{5,16}|[A-Z]{1,3}[0-9]{5,10}|0{1,4}[0-9]{5,9})\Z")
_noise = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A[0-9]{1,20}\Z"),
    st.sampled_from(DATA_IDS + ["445566778890", "#00108", "$299", "1200 dollars", "24/7", "１２３４５"]),
    st.sampled_from(_WORDS),
)


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(_noise, max_size=8), seps=st.lists(st.sampled_from([" ", "", "#", ", ", "\n", "-"]),
                                                         min_size=8, max_size=8))
def test_property_no_foreign_or_spliced_identifier(parts, seps):
    message = "".join(p + s for p, s in zip(parts, seps))
    a = _responder().answer(message)
    assert isinstance(a, service.Answer)
    assert _foreign(a.text, message, 3) == [], (message, a.text)
    # digits of the data's own examples never leak unless the customer wrote them
    for d in DATA_IDS:
        if re.search(rf"(?<![0-9A-Za-z]){re.escape(d)}(?![0-9A-Za-z])", a.text):
            assert d in message


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=2, max_size=10), ident=_id,
       pos=st.integers(0, 10), wrap=st.sampled_from(["{}", "#{}", "({})", "{}.", "{}!", "'{}'"]))
def test_property_own_identifier_is_used(words, ident, pos, wrap):
    """Every toy answer has an order slot: with exactly one id in the message, it is in the answer."""
    words = list(words)
    words.insert(min(pos, len(words)), wrap.format(ident))
    message = " ".join(words)
    assert service.find_identifiers(message) == [ident]
    a = _responder().answer(message)
    assert _foreign(a.text, message, 3) == []
    if not a.handover:
        assert re.search(rf"(?<![0-9A-Za-z]){re.escape(ident)}(?![0-9A-Za-z])", a.text), (message, a.text)
        assert a.missing == () or a.missing == ("the amount",)


@settings(max_examples=100, deadline=None)
@given(template_parts=st.lists(st.one_of(st.sampled_from(["{{Order Number}}", "{{Invoice Number}}", "{{Amount}}",
                                                          "{{Website Name}}", " order ", " bill ", "$", "#"]),
                                         st.from_regex(r"\A[0-9]{1,15}\Z"), st.text(max_size=10)), max_size=10),
       example=st.text(max_size=30), message=st.text(max_size=40))
def test_property_fill_placeholders_never_keeps_a_foreign_number(template_parts, example, message):
    template = " ".join(template_parts)
    out = service.fill_placeholders(template, message, example=example)
    assert _foreign(out, message, 4) == [], (template, message, out)


# --------------------------------------------------------------------------- other customers' details
# The Bitext answers repeat their example customer's name, city, country and account type
# ("the bill from Mr. Smith", "we ship to Munich, Germany", "your Platinum account"). An
# automatic answer must never carry them to another customer.
ENT_TRAIN = [
    ("show me the bill from Mr. Smith", "check_invoice",
     "Here is the bill from Mr. Smith; open {{Invoices}} and search for Mr. Smith's name."),
    ("I want to see the invoice from Anna Freeman", "check_invoice",
     "To see the invoice from Anna Freeman, open {{Invoices}} and filter by Anna Freeman."),
    ("check my invoice", "check_invoice", "You can see your invoices under {{Invoices}}; we accept Visa."),
    ("where can I see my bills", "check_invoice", "Your bills are listed under {{Invoices}}; we accept Visa."),
    ("do you ship to Munich", "delivery_options", "Yes, we ship to Munich, Germany. See {{Shipping}}; we accept Visa."),
    ("can I order from Toronto", "delivery_options", "Of course, we deliver to Toronto and all of Canada; we accept Visa."),
    ("what delivery options do you have", "delivery_options", "We ship worldwide, standard or express; we accept Visa."),
    ("open a Gold account", "create_account", "To open a Gold account, go to {{Sign Up}} and choose Gold."),
    ("create a platinum account", "create_account", "To create a Platinum account, choose platinum in {{Sign Up}}."),
]
ENT_TEXTS = [t for t, _, _ in ENT_TRAIN] * 3
ENT_LABELS = [l for _, l, _ in ENT_TRAIN] * 3
ENT_RESPONSES = [r for _, _, r in ENT_TRAIN] * 3
#: every name, place and account type of the toy data (independent of the module)
ENT_WORDS = ["Smith", "Anna", "Freeman", "Munich", "Germany", "Toronto", "Canada", "Gold", "Platinum"]


@functools.lru_cache(maxsize=1)
def _ent_classifier():
    return service.TfidfIntentClassifier().fit(ENT_TEXTS, ENT_LABELS)


def _ent_responder(**kw) -> service.Responder:
    return service.Responder(_ent_classifier(), ENT_TEXTS, ENT_LABELS, ENT_RESPONSES, **{"threshold": 0.0, **kw})


def _foreign_names(answer: str, message: str, names) -> list[str]:
    """Names (any case) in ``answer`` that ``message`` does not contain (independent oracle)."""
    said = set(re.findall(r"[a-z]+", message.lower()))
    return [w for w in names if w.lower() not in said
            and re.search(rf"(?<![A-Za-z]){w}(?![A-Za-z])", answer, re.IGNORECASE)]


@pytest.mark.parametrize("message,intent", [
    ("show me the bill from Mr. Jones", "check_invoice"),
    ("I want to see the invoice from David Miller", "check_invoice"),
    ("show me the bill from my landlord", "check_invoice"),
    ("do you ship to Paris", "delivery_options"),
    ("can I order from Valencia", "delivery_options"),
    ("can i order from toronto", "delivery_options"),  # Toronto in lower case is the customer's own
])
def test_answer_never_carries_another_customers_name_or_city(message, intent):
    """Trial: 'Mr. Smith' answered a message about Mr. Jones, 'Munich' one about Toronto."""
    a = _ent_responder().answer(message)
    assert not a.handover and a.intent == intent
    assert _foreign_names(a.text, message, ENT_WORDS) == [], (message, a.text)
    assert "Visa" in a.text, "the shop's own vocabulary stays"


def test_own_name_or_city_is_allowed():
    """The most similar answer may repeat what this customer wrote."""
    r = _ent_responder()
    a = r.answer("show me the bill from Mr. Smith please")
    assert a.text == "Here is the bill from Mr. Smith; open Invoices and search for Mr. Smith's name."
    # the Munich answer also names Germany, which this customer did not write: a general answer
    a = r.answer("do you ship to munich?")
    assert a.text == "We ship worldwide, standard or express; we accept Visa."
    a = r.answer("do you ship to Munich in Germany?")
    assert a.text == "Yes, we ship to Munich, Germany. See Shipping; we accept Visa."


def test_entity_rule_hand_computed():
    r = _ent_responder()
    # shop vocabulary: 'Visa' is written unprompted in 5 distinct answers (x3 copies = 15)
    assert "Visa" in r.shop_vocabulary_[0] and "Munich" not in r.shop_vocabulary_[0]
    assert {"mr", "smith", "anna", "freeman", "munich", "toronto", "gold"} <= r.customer_words_
    ent = dict(zip(ENT_TEXTS, r.entities_))
    assert ent["show me the bill from Mr. Smith"] == {"mr": False, "smith": False}
    assert ent["do you ship to Munich"] == {"munich": False, "germany": True}
    assert ent["can I order from Toronto"] == {"toronto": False, "canada": True}
    # 'platinum': answers capitalise it only after their customer wrote it, so any case counts
    assert ent["create a platinum account"] == {"platinum": False}
    assert "platinum" in r.customer_words_ and "visa" not in r.customer_words_
    assert ent["check my invoice"] == {} and ent["what delivery options do you have"] == {}
    assert service.customer_capitalised("I'd like the bill from Mr. Smith") == {"mr", "smith"}
    assert service.customer_capitalised("Toronto shipping?") == set(), "the first word may just be capitalised"


def test_intent_whose_every_answer_names_someone_else_gets_a_neutral_phrase():
    """Every create_account answer names an account type: the most similar is used with it neutralised."""
    r = _ent_responder()
    a = r.answer("open a Premium account please")
    assert not a.handover and a.intent == "create_account"
    assert _foreign_names(a.text, "open a Premium account please", ENT_WORDS) == []
    assert service.ENTITY_NEUTRAL in a.text
    assert a.text in ("To open a [the one you mean] account, go to Sign Up and choose [the one you mean].",
                      "To create a [the one you mean] account, choose [the one you mean] in Sign Up.")
    assert r.answer("open a Gold account").text == "To open a Gold account, go to Sign Up and choose Gold."


def test_fill_placeholders_neutralises_the_example_customers_name():
    out = service.fill_placeholders("Here is the bill from Mr. Smith; see {{Invoices}}.", "bill from Ms. Jones",
                                    example="show the bill from Mr. Smith")
    assert out == "Here is the bill from [the one you mean]; see Invoices."
    out = service.fill_placeholders("Here is the bill from Mr. Smith.", "bill from mr smith",
                                    example="show the bill from Mr. Smith")
    assert out == "Here is the bill from Mr. Smith."
    assert service.neutralise_entities("ship to Munich, Germany", {"munich": False, "germany": True}) == \
        "ship to [the one you mean], [the one you mean]"
    assert service.neutralise_entities("Anna Freeman's bill", {"anna": False, "freeman": False}) == \
        "[the one you mean]'s bill"
    assert service.neutralise_entities("May I help? It may.", {"may": True}) == "[the one you mean] I help? It may."


def test_shop_min_responses_is_validated():
    with pytest.raises(ValueError, match="shop_min_responses must be >= 1, got 0"):
        _ent_responder(shop_min_responses=0)
    with pytest.raises(TypeError, match="shop_min_responses must be an integer"):
        _ent_responder(shop_min_responses=2.5)


def test_whole_bitext_file_has_no_other_customers_proper_noun(real_data):
    """No answer built for a row carries a proper noun from another row's question that the
    message lacks. Proper nouns (independent of the module): words customers capitalise in the
    questions (not the first word, not 'I'), and the file's own entity annotations (person
    names, cities, countries, account types)."""
    from retail_lab.datasets import load_bitext_support

    b = load_bitext_support(real_data, download=False)
    texts = b["instruction"].to_numpy(str)
    intents = b["intent"].astype(str).to_numpy()
    responses = b["response"].to_numpy(str)
    proper: set[str] = set()
    for q in texts:
        words = re.findall(r"[A-Za-z]+", q)
        proper |= {w for w in words[1:] if w[0].isupper() and w != "I"}
    ent = b.dropna(subset=["entity_value"])
    for kind, value in zip(ent["entity_type"].astype(str), ent["entity_value"].astype(str)):
        if kind in ("person_name", "delivery_city", "delivery_country", "account_type"):
            proper |= {w for w in re.findall(r"[A-Za-z]+", value) if w[0].isupper()}
    assert {"Smith", "Munich", "Toronto", "Canada", "Platinum", "Hawkings"} <= proper
    r = service.Responder(_Oracle(texts, intents), texts, intents, responses)
    pattern = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(proper)) + r")(?![A-Za-z])")
    bad = []
    for m, a in zip(texts, r.answer_many(texts)):
        if a.handover:
            continue
        said = set(re.findall(r"[a-z]+", m.lower()))
        found = {w for w in pattern.findall(a.text) if w.lower() not in said}
        if found:
            bad.append((m, sorted(found)))
    assert bad == [], bad[:5]
    # and for other customers' messages: every row's best answer for a message of the same
    # intent from a random other row
    rng = np.random.default_rng(1)
    msgs = [texts[rng.choice(r._rows[i])] for i in intents]
    for m, a in zip(msgs, r.answer_many(msgs)):
        said = set(re.findall(r"[a-z]+", m.lower()))
        assert not {w for w in pattern.findall(a.text) if w.lower() not in said}, (m, a.text[:300])


_ENT_VOCAB = ["show", "me", "the", "bill", "from", "invoice", "Mr.", "Ms.", "Jones", "Smith", "Munich", "munich",
              "ship", "to", "order", "Toronto", "Paris", "account", "open", "Gold", "Premium", "create", "do", "you"]


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.sampled_from(_ENT_VOCAB), min_size=2, max_size=10))
def test_property_no_other_customers_name_or_place(words):
    message = " ".join(words)
    a = _ent_responder().answer(message)
    assert _foreign_names(a.text, message, ENT_WORDS) == [], (message, a.text)
    assert _foreign(a.text, message, 3) == []


@pytest.mark.parametrize("style", service.REPHRASE_STYLES)
def test_rephrase_survives_odd_messages(style):
    odd = ["", "   ", "!!!", "我想取消订单", "🙂" * 30, "ORDER 12345 " * 200, "I want to", "refund?"]
    out = service.rephrase(odd, style=style, seed=0)
    assert len(out) == len(odd) and all(isinstance(t, str) for t in out)
    assert "12345" in out[5], "identifiers survive rewriting"
    with pytest.raises(ValueError, match="missing"):
        service.rephrase(["cancel order", None], style=style)


def test_score_with_interval_rejects_empty_and_mismatched_predictions():
    with pytest.raises(ValueError, match="empty"):
        service.score_with_interval(["a", "b"], [])
    with pytest.raises(ValueError, match="lengths differ"):
        service.score_with_interval(["a", "b"], [["a", "b"], ["a"]])
    with pytest.raises(ValueError, match="level"):
        service.score_with_interval(["a", "b"], ["a", "b"], level=1.5)
