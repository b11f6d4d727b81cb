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
"""

from __future__ import annotations

import functools
import math
import numbers
import re

import numpy as np
from dataclasses import dataclass
from typing import Any, Callable

from .chapters import CHAPTERS
from .chapters import chapter as _chapter
from .chapters import parse_exercise_id

__all__ = ["Question", "CheckResult", "QUESTIONS", "check", "questions"]


def _exercise_id(chapter: str, qid: str) -> str:
    """``("ch05", "q1")`` -> ``"4.3.1"``; ids outside the chapter map are shown as they are."""
    m = re.fullmatch(r"q(\d+)", qid) if isinstance(qid, str) else None
    try:
        return f"{_chapter(chapter).section}.{int(m.group(1))}" if m else f"{chapter} {qid}"
    except KeyError:
        return f"{chapter} {qid}"


@dataclass(frozen=True)
class Question:
    """One checkable exercise.

    Attributes
    ----------
    chapter, qid : str
        The chapter's file number and the question's place in it, e.g. ``"ch05"``, ``"q1"``
        (``id`` is the number the book shows: ``"4.3.1"``).
    prompt : str
        The question as the chapter asks it.
    expected : callable
        Computes the correct answer (may load data).
    kind : {"int", "float", "bool", "text"}
        How answers are compared.
    rel_tol : float
        Relative tolerance for ``"float"`` answers.
    hint : str
        Shown when the answer is wrong.
    """

    chapter: str
    qid: str
    prompt: str
    expected: Callable[[], Any]
    kind: str = "float"
    rel_tol: float = 0.01
    hint: str = ""

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

    @property
    def exercise(self) -> str:
        return _exercise_id(self.chapter, self.qid)

    def __repr__(self) -> str:
        mark = {True: "Correct", False: "Not yet", None: "No answer"}[self.correct]
        return f"[Exercise {self.exercise}] {mark}: {self.message}"

    def __bool__(self) -> bool:
        return bool(self.correct)


@functools.lru_cache(maxsize=1)
def _clean_retail():
    from . import quality
    from .datasets import load_online_retail

    return quality.clean(load_online_retail())


def _uk_revenue_share() -> float:
    from .features import line_revenue

    tx = _clean_retail().clean
    rev = line_revenue(tx)
    return float(rev[tx["Country"] == "United Kingdom"].sum() / rev.sum())


def _top20_units_share() -> float:
    from .explore import item_popularity, top_share

    return top_share(item_popularity(_clean_retail().clean), 0.2)


def _gpt2_medium() -> int:
    from .background import transformer_param_count

    return transformer_param_count(24, 1024, 50257, 1024)


def _duplicates() -> int:
    rep = _clean_retail().report.table.set_index("rule")
    return int(rep.loc["duplicate_row", "n_failing"])


def _gate_passes_at_20pct() -> bool:
    from .pipeline import QualityGate

    res = _clean_retail()
    checks = QualityGate(max_share={"missing_customer_id": 0.20}).evaluate(res.report, len(res.clean))
    return bool(checks["passed"].all())


def _customers_before_cutoff() -> int:
    from .features import customer_features

    return len(customer_features(_clean_retail().clean, "2011-03-01"))


def _ch03_datasets():
    from .features import repurchase_dataset

    tx = _clean_retail().clean
    return repurchase_dataset(tx, "2011-05-01"), repurchase_dataset(tx, "2011-08-01")


def _ch03_params() -> int:
    from .nn import MLP

    return MLP((7, 32, 16, 1), ("relu", "relu", "sigmoid")).n_params()


def _ch03_base_rate() -> float:
    (_, y), _ = _ch03_datasets()
    return float(y.mean())


def _ch03_lr_auc() -> float:
    from .evaluation import holdout_auc, logistic_fitter

    (X, y), (Xt, yt) = _ch03_datasets()
    return holdout_auc(logistic_fitter(), X, y, Xt, yt)


def _sigmoid_slope_at_0() -> float:
    from .nn import ACTIVATIONS

    return float(ACTIVATIONS["sigmoid"][1](np.zeros(1))[0])


def _conv_output_length() -> int:
    from .nn import conv1d

    return len(conv1d(np.zeros(100), np.zeros(7)))


def _strongest_lag() -> int:
    from .explore import daily_units
    from .nn import least_squares_filter

    s = daily_units(_clean_retail().clean)
    kernel, _ = least_squares_filter(((s - s.mean()) / s.std()).to_numpy(), 14)
    return int(14 - np.argmax(kernel))


def _article_cf() -> float:
    from .recsys.cf import article_score

    return article_score(4.0, 3.5, [0.8], [1])


def _rec_split():
    from .recsys import temporal_split

    return temporal_split(_clean_retail().clean, "2011-09-01")


def _new_protocol_users() -> int:
    return len(_rec_split().protocol("new")[0])


def _popularity_hr10() -> float:
    from .recsys import Popularity, evaluate

    split = _rec_split()
    per_user, _ = evaluate(Popularity().fit(split.X), split, "all")
    return float(per_user["HR@10"].mean())


def _ch06_article_error() -> str:
    """Run the article's section 5.2 model and fit call on a small random matrix."""
    from .repro import import_tensorflow

    tf = import_tensorflow()
    data = np.random.default_rng(0).integers(0, 3, (8, 5))
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    try:
        model.fit(data, epochs=1, verbose=0)
    except Exception as err:  # noqa: BLE001 - the type is the answer
        return type(err).__name__
    return "no error"


def _ch06_bpr_params() -> int:
    n_users, n_items = _rec_split().X.shape
    return n_users * 64 + n_items * 64 + n_items


def _ch06_val_users() -> int:
    from .recsys import book_splits

    return len(book_splits(_clean_retail().clean)[0].protocol("all")[0])


def _ch07_sample_size() -> int:
    from .marketing import sample_size_two_proportions

    return sample_size_two_proportions(0.05, 0.20)


def _ch07_no_purchase() -> float:
    from .sim import RetailWorld

    return float(RetailWorld(seed=0).choice_probabilities([0], [list(range(10))])[0, 0])


def _ch07_oracle_lift() -> float:
    from .sim import OraclePolicy, PopularityPolicy, RetailWorld, ab_test, summarize_ab

    w = RetailWorld(seed=0)
    v = ab_test(w, {"popularity": PopularityPolicy(w.appeal), "oracle": OraclePolicy(w)}, days=14, seed=0)
    s = summarize_ab(v, "popularity", "oracle").set_index("metric")
    return float(s.loc["conversion rate (per visit)", "relative lift"])


def _hillstrom_rates():
    from .datasets import load_hillstrom

    return load_hillstrom().groupby("segment", observed=True)[["visit", "conversion"]].mean()


def _ch08_mens_visit() -> float:
    r = _hillstrom_rates()
    return float(100 * (r.loc["Mens E-Mail", "visit"] - r.loc["No E-Mail", "visit"]))


def _ch08_champions() -> int:
    import pandas as pd

    from .marketing import rfm_table

    tx = _clean_retail().clean
    rfm = rfm_table(tx, tx["InvoiceDate"].max().normalize() + pd.Timedelta(days=1))
    return int((rfm["segment"] == "champions").sum())


def _ch08_sample_size() -> int:
    from .marketing import sample_size_two_proportions

    return sample_size_two_proportions(float(_hillstrom_rates().loc["No E-Mail", "conversion"]), 0.5)


def _article_keras_params() -> int:
    from .repro import import_tensorflow

    import_tensorflow()
    import keras

    model = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(128), keras.layers.Dense(64),
                              keras.layers.Dense(1)])
    return model.count_params()


def _keras_major() -> int:
    from importlib import metadata

    return int(metadata.version("keras").split(".")[0])


def _tf_keras_is_keras() -> bool:
    from .repro import import_tensorflow

    tf = import_tensorflow()
    import keras

    return tf.keras.layers.Dense is keras.layers.Dense


def _laplace_mae() -> float:
    return 2 / 0.5


def _k_country() -> int:
    from .privacy import k_anonymity

    tx = _clean_retail().clean
    country = tx.groupby("CustomerID", observed=True)["Country"].first().astype(str)
    return k_anonymity(country.to_frame("country"), ["country"]).k


def _fusion_alpha() -> float:
    from .recsys import FusedItemKNN, evaluate, item_descriptions, temporal_split, text_similarity

    val = temporal_split(_clean_retail().clean, cutoff="2011-08-01", end="2011-09-01")
    texts = item_descriptions(val.train, val.items)
    sim = text_similarity(texts)
    scores = {a: evaluate(FusedItemKNN(texts, alpha=a).fit(val.X, text_sim=sim), val, "new")[0]["NDCG@10"].mean()
              for a in (0.0, 0.25, 0.5, 0.75, 1.0)}
    return float(max(scores, key=scores.get))


def _gpt2_xl() -> int:
    from .background import transformer_param_count

    return transformer_param_count(48, 1600, 50257, 1024)


def _removed_share() -> float:
    res = _clean_retail()
    return len(res.removed) / res.report.n_rows


def _raw_lr_auc() -> float:
    from .datasets import load_online_retail
    from .evaluation import holdout_auc, logistic_fitter
    from .features import repurchase_dataset

    raw = load_online_retail()
    X, y = repurchase_dataset(raw[raw["CustomerID"].notna()], "2011-05-01")
    Xt, yt = repurchase_dataset(_clean_retail().clean, "2011-08-01")  # clean test set
    return holdout_auc(logistic_fitter(), X, y, Xt, yt)


def _newsvendor_q() -> float:
    from .inventory import newsvendor_quantity

    return newsvendor_quantity(100, 20, underage=4, overage=1)


@functools.lru_cache(maxsize=1)
def _demand_clean():
    from . import quality
    from .datasets import load_online_retail

    raw = load_online_retail()
    return quality.clean(raw, apply=[r.name for r in quality.rules() if r.name != "missing_customer_id"]).clean


def _seasonal_naive_mase() -> float:
    import pandas as pd

    from . import inventory as inv

    tx = _demand_clean()
    closed = inv.closed_days(tx)
    w = tx[(tx["InvoiceDate"] >= "2011-01-01") & (tx["InvoiceDate"] < "2011-10-01")]
    top = w.groupby("StockCode", observed=True)["Quantity"].sum().nlargest(50).index
    Y = inv.daily_demand(tx, top)
    origins = pd.date_range(Y.index.max() - pd.Timedelta(days=55), periods=8, freq="7D")
    summary, _ = inv.backtest(Y, {"seasonal naive": inv.SeasonalNaive(closed)}, origins)
    return float(summary.loc["seasonal naive", "MASE"])


def _closed_days() -> int:
    from .inventory import closed_days

    return len(closed_days(_demand_clean()))


@functools.lru_cache(maxsize=1)
def _ch10_setup():
    from .datasets import load_bitext_support
    from .service import Responder, TfidfIntentClassifier, template_split

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
    from .service import erlang_c_wait

    return erlang_c_wait(40, 6, 9) * 60


QUESTIONS: dict[tuple[str, str], Question] = {
    (q.chapter, q.qid): q
    for q in (
        Question("ch01", "q1", "Share of clean revenue from United Kingdom customers (0-1).",
                 _uk_revenue_share, "float", 0.005,
                 "Use the clean purchase lines and revenue = Quantity * UnitPrice; give a "
                 "fraction such as 0.5, not a percentage."),
        Question("ch01", "q2", "Parameters of GPT-2 medium (24 layers, width 1024).",
                 _gpt2_medium, "int", 0.0,
                 "Use transformer_param_count with GPT-2's vocabulary (50,257) and context "
                 "(1,024); the embeddings are tied."),
        Question("ch01", "q3", "Share of units sold by the top 20% of products (0-1).",
                 _top20_units_share, "float", 0.005,
                 "Rank products by units with item_popularity, then use top_share(pop, 0.2)."),
        Question("ch02", "q1", "Rows the duplicate_row rule flags in the raw Online Retail table.",
                 _duplicates, "int", 0.0,
                 "Count every row that repeats an earlier row exactly (the first copy stays)."),
        Question("ch02", "q2", "Does the quality gate pass with a 20% limit on missing CustomerID?",
                 _gate_passes_at_20pct, "bool", 0.0,
                 "Compare the share of rows with a missing CustomerID with 0.20."),
        Question("ch02", "q3", "Customers with a clean purchase before 2011-03-01.",
                 _customers_before_cutoff, "int", 0.0,
                 "customer_features(clean, cutoff) has one row per customer; only purchases "
                 "strictly before the cutoff count."),
        Question("ch03", "q1", "Parameters of a 7-32-16-1 fully connected network.",
                 _ch03_params, "int", 0.0,
                 "Each layer has n_in * n_out weights plus n_out biases."),
        Question("ch03", "q2", "Share of training customers (cutoff 2011-05-01) who buy again "
                 "within 90 days (0-1).", _ch03_base_rate, "float", 0.005,
                 "Use repurchase_dataset(clean, '2011-05-01') and average the labels."),
        Question("ch03", "q3", "Test AUC of the logistic-regression baseline.",
                 _ch03_lr_auc, "float", 0.01,
                 "Standardise with the training set's scaler, fit LogisticRegression, score the "
                 "2011-08-01 customers."),
        Question("ch04", "q1", "The slope of the sigmoid at z = 0.",
                 _sigmoid_slope_at_0, "float", 1e-9,
                 "Use sigma'(z) = sigma(z) (1 - sigma(z))."),
        Question("ch04", "q2", "Outputs of a 'valid' 1-D convolution of a length-100 series "
                 "with a length-7 kernel.", _conv_output_length, "int", 0.0,
                 "The kernel must fit entirely inside the series at every position."),
        Question("ch04", "q3", "The lag (days) with the largest weight in the least-squares "
                 "14-day filter on daily units.", _strongest_lag, "int", 0.0,
                 "Column j of the window is lag 14 - j; find the largest kernel weight."),
        Question("ch05", "q1", "The value of the article's CF formula for its own inputs.",
                 _article_cf, "float", 1e-9,
                 "Add the user mean, the item mean and the similarity-weighted behaviour."),
        Question("ch05", "q2", "Users evaluated in the new-items protocol.",
                 _new_protocol_users, "int", 0.0,
                 "Users with at least one test purchase of an item they had not bought before "
                 "the cutoff (and that exists in the training catalogue)."),
        Question("ch05", "q3", "HR@10 of the popularity baseline in the all-purchases protocol.",
                 _popularity_hr10, "float", 0.01,
                 "Fit Popularity on split.X and average the per-user HR@10 from evaluate()."),
        Question("ch06", "q1", "The exception type Keras 3 raises for the article's fit call.",
                 _ch06_article_error, "text", 0.0,
                 "fit() receives inputs but no targets; catch the exception and read its type name."),
        Question("ch06", "q2", "Trainable parameters of BPR-MF (dimension 64) on the test split.",
                 _ch06_bpr_params, "int", 0.0,
                 "One 64-vector per customer and per product, plus one bias per product."),
        Question("ch06", "q3", "Customers evaluated on the validation month (all purchases).",
                 _ch06_val_users, "int", 0.0,
                 "Customers with a training purchase and an August 2011 purchase of a product "
                 "seen in training."),
        Question("ch07", "q1", "Visits per arm to detect a 20% relative lift on a 5% conversion rate.",
                 _ch07_sample_size, "int", 0.0, "marketing.sample_size_two_proportions(0.05, 0.20)."),
        Question("ch07", "q2", "P(no purchase) for customer 0 shown products 0-9 in RetailWorld(seed=0).",
                 _ch07_no_purchase, "float", 1e-6,
                 "choice_probabilities returns the no-purchase option in column 0."),
        Question("ch07", "q3", "Relative conversion lift of the oracle over popularity (14 days, seed 0).",
                 _ch07_oracle_lift, "float", 0.01,
                 "summarize_ab(visits, 'popularity', 'oracle'): the 'relative lift' of conversion."),
        Question("ch08", "q1", "Visit-rate effect of the men's e-mail vs no e-mail (percentage points).",
                 _ch08_mens_visit, "float", 0.01,
                 "Mean visit in the Mens E-Mail arm minus the No E-Mail arm, times 100."),
        Question("ch08", "q2", "Customers in the RFM segment 'champions' at the end of the data.",
                 _ch08_champions, "int", 0.0,
                 "marketing.rfm_table(clean lines, the day after the last invoice)."),
        Question("ch08", "q3", "Customers per arm to detect a 50% relative conversion lift "
                 "(5% significance, 80% power).", _ch08_sample_size, "int", 0.0,
                 "marketing.sample_size_two_proportions(no-e-mail conversion rate, 0.5)."),
        Question("ch09", "q1", "Newsvendor order for N(100, 20^2) demand, underage 4, overage 1.",
                 _newsvendor_q, "float", 1e-6, "Order up to the critical fractile cu / (cu + co) of demand."),
        Question("ch09", "q2", "MASE of the seasonal naive forecast in the chapter's backtest.",
                 _seasonal_naive_mase, "float", 0.005, "Run inv.backtest with SeasonalNaive over the 8 "
                 "weekly origins."),
        Question("ch09", "q3", "Days in the data's range with no sale at all (closed days).",
                 _closed_days, "int", 0.0, "Compare every calendar day with the days that have sales."),
        Question("ch10", "q1", "Macro-F1 of TF-IDF + logistic regression on the template split (0.8).",
                 _ch10_f1, "float", 0.005, "Fit on the template split's training part; macro-F1 on "
                 "its test part."),
        Question("ch10", "q2", "Share of held-out messages answered automatically at threshold 0.9.",
                 _ch10_automation, "float", 0.005, "Use Responder.tradeoff on the template split's "
                 "test messages."),
        Question("ch10", "q3", "Mean wait (minutes) for 40 messages/hour, 6 per agent-hour, 9 agents.",
                 _ch10_wait, "float", 0.001, "Erlang C: service.erlang_c_wait(arrivals, per_agent, "
                 "agents) is in hours."),
        Question("ch11", "q1", "Parameters of the article's section 5.2 model with 1,000 inputs.",
                 _article_keras_params, "int", 0.0,
                 "Three Dense layers: 128, 64 and 1 units; count weights and biases."),
        Question("ch11", "q2", "The major version of Keras this book runs on.",
                 _keras_major, "int", 0.0, "Read keras.__version__."),
        Question("ch11", "q3", "Is tf.keras.layers.Dense the same class as keras.layers.Dense?",
                 _tf_keras_is_keras, "bool", 0.0, "Compare the two with `is`."),
        Question("ch12", "q1", "Expected absolute error of a Laplace-mechanism count with "
                 "sensitivity 2 and epsilon 0.5.", _laplace_mae, "float", 1e-9,
                 "The noise scale is sensitivity / epsilon, and E|Laplace(b)| = b."),
        Question("ch12", "q2", "k reached by the customer table on country alone.",
                 _k_country, "int", 0.0,
                 "The smallest number of customers sharing one country."),
        Question("ch12", "q3", "The alpha with the best validation NDCG@10 in the fusion grid "
                 "(0, 0.25, 0.5, 0.75, 1).", _fusion_alpha, "float", 1e-9,
                 "Evaluate each alpha on the validation split, new-items protocol."),
        Question("ch13", "q1", "Parameters of GPT-2 XL (48 layers, width 1600).",
                 _gpt2_xl, "int", 0.0, "Use transformer_param_count with GPT-2's vocabulary "
                 "and context."),
        Question("ch13", "q2", "Share of Online Retail rows removed by cleaning (0-1).",
                 _removed_share, "float", 0.005, "Removed rows divided by all rows."),
        Question("ch13", "q3", "Test AUC (clean test set) of logistic regression trained on the raw rows.",
                 _raw_lr_auc, "float", 0.01,
                 "Drop rows without a customer id, build the training set from the raw table, "
                 "standardise, fit, and score the clean 2011-08-01 customers."),
    )
}


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


def _as_number(answer: Any) -> tuple[int | float | None, str]:
    """The answer as an exact int or a finite float, or (None, why it is not valid)."""
    a = _scalar(answer)
    if isinstance(a, np.generic) and not isinstance(a, (np.bool_, np.number)):
        a = a.item()  # np.str_ and friends
    if isinstance(a, (bool, np.bool_)):
        return None, f"answer a number, not {bool(a)}"
    if isinstance(a, str):
        text = a.strip()
        if len(text) > _MAX_NUMBER_TEXT:
            return None, f"answer a number (got {_describe(a)})"
        try:
            a = int(text)
        except ValueError:
            try:
                a = float(text)
            except ValueError:
                return None, f"answer a number (got {_describe(a)}); write digits without separators"
    if isinstance(a, (numbers.Integral, np.integer)):
        v = int(a)
        if abs(v) >= _FLOAT_LIMIT:
            return None, "not a valid answer: the number is far too large (beyond 1e308)"
        return v, ""
    if isinstance(a, numbers.Complex) and not isinstance(a, numbers.Real):
        return None, f"answer a real number (got {_describe(a)})"
    if isinstance(a, (numbers.Number, np.floating)):  # float, np.float32, Fraction, Decimal
        try:
            v = float(a)
        except (OverflowError, ValueError, TypeError):
            return None, "not a valid answer: the number is far too large (beyond 1e308)"
        if math.isnan(v):
            return None, "not a valid answer: the answer is NaN (not a number)"
        if math.isinf(v):
            return None, f"not a valid answer: {v} is infinite; give a finite number"
        return v, ""
    return None, f"answer a single number (got {_describe(answer)})"


_YES = {"true", "yes", "y"}
_NO = {"false", "no", "n"}


def _as_bool(answer: Any) -> tuple[bool | None, str]:
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
    return None, f"answer True or False (got {_describe(answer)})"


def _as_text(answer: Any) -> tuple[str | None, str]:
    a = _scalar(answer)
    if isinstance(a, type):
        return a.__name__, ""
    if isinstance(a, BaseException):
        return type(a).__name__, ""
    if isinstance(a, (str, np.str_)):
        if len(a) > _MAX_ANSWER_TEXT:
            return None, f"answer a short text (got {_describe(a)})"
        return str(a), ""
    return None, f"answer a text, e.g. a name in quotes (got {_describe(answer)})"


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


def _magnitude_hint(value: float, truth: float) -> str:
    """Where a wrong answer lies relative to the answer's order of magnitude only (the bands
    are the powers of ten and zero, fixed in advance, so bisection cannot find the answer)."""
    truth = float(truth)
    if truth == 0 or value == 0:
        return "not correct"
    if (value > 0) != (truth > 0):
        return "the sign is wrong"
    ev, et = _decade(value), _decade(truth)
    if ev == et:
        return (f"not correct, though the order of magnitude is right "
                f"(between {_p10(ev):g} and {_p10(ev + 1):g} in size)")
    if truth > 0:
        return (f"too high: the answer is below {_p10(ev):g}" if ev > et
                else f"too low: the answer is at least {_p10(ev + 1):g}")
    return (f"too far from zero: the answer is smaller than {_p10(ev):g} in size" if ev > et
            else f"too close to zero: the answer is at least {_p10(ev + 1):g} in size")


def _parse(q: Question, answer: Any) -> tuple[Any, str]:
    """The answer converted for the question's kind, or (None, why it is not valid).
    Needs no correct answer, so a malformed answer never triggers a data load."""
    if q.kind == "bool":
        return _as_bool(answer)
    if q.kind == "text":
        return _as_text(answer)
    value, why = _as_number(answer)
    if value is None:
        return None, why
    if q.kind == "int":
        if isinstance(value, float):
            if value != int(value):
                return None, "the answer is a whole number"
            value = int(value)
    return value, ""


def _compare(q: Question, answer: Any, truth: Any) -> tuple[bool, str]:
    value, why = _parse(q, answer)
    if value is None:
        return False, f"{why}. {q.hint}"
    if q.kind == "bool":
        return value == bool(truth), q.hint
    if q.kind == "text":
        return value.strip().lower() == str(truth).strip().lower(), q.hint
    if q.kind == "int":
        if value == int(truth):
            return True, ""
        return False, f"{_magnitude_hint(value, truth)}. {q.hint}"
    value = float(value)
    if math.isclose(value, float(truth), rel_tol=q.rel_tol, abs_tol=1e-12):
        return True, ""
    if 0 < truth < 1 and 1 < value <= 100 and math.isclose(value / 100, float(truth), rel_tol=q.rel_tol):
        return False, "that looks like a percentage; give a fraction between 0 and 1."
    return False, f"{_magnitude_hint(value, truth)} (relative tolerance {q.rel_tol:g}). {q.hint}"


_CHAPTER_RE = re.compile(r"(?:ch(?:apter)?)?\s*0*(\d{1,3})")
_QID_RE = re.compile(r"q?\s*0*(\d{1,3})")


def _short(x: Any) -> str:
    return _describe(x) if not isinstance(x, str) or len(x) > 40 else x


def _normalise_key(chapter: Any, qid: Any) -> tuple[Any, Any]:
    """``"ch1"``, ``"CH01"`` -> ``"ch01"`` (the old answer-check ids count chapter files);
    a bare section, ``5``, ``"5"`` or ``"6.2"``, -> that chapter's old id (``5`` is chapter 5,
    the Keras recommender, as the book numbers it); ``1``, ``"Q1"`` -> ``"q1"``
    (unambiguous spellings only; anything else is returned unchanged)."""
    from .chapters import CHAPTERS

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


def check(exercise: str, *args: Any) -> CheckResult:
    """Check a reader's answer to an exercise: ``check("4.3.1", answer)``.

    Parameters
    ----------
    exercise : str
        The exercise's number as its title in the book shows it: ``"4.3.1"`` is the first
        exercise of chapter 4.3 (``"Exercise 4.3.1"`` is read the same way).
    answer : any
        The reader's answer; ``None`` means "not answered yet".

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
    """
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
        return CheckResult(chapter, qid, None, "replace None with your answer, then run the cell again.")
    value, why = _parse(q, answer)
    if value is None:  # malformed: say why without computing (or loading) the answer
        return CheckResult(chapter, qid, False, f"{why}. {q.hint}")
    ok, msg = _compare(q, answer, q.expected())
    return CheckResult(chapter, qid, ok, "well done." if ok else msg)


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
