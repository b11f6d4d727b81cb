"""Customer service (chapter 10): intent classification, answering with hand-over, queues.

- Splits: a random stratified split, and a *template* split that keeps near-duplicate
  utterances (the Bitext data is generated from templated paraphrases) on one side.
- Classifiers: TF-IDF + logistic regression, and a Keras text CNN (``TextVectorization``,
  embeddings, 1-D convolution), both with ``fit`` / ``predict_proba`` / ``predict``.
- :class:`Responder`: predicted intent -> the dataset's answer with placeholders filled from
  the customer's message, or a hand-over to a person when confidence is low or the message
  carries too little information (see :meth:`Responder.screen`). Never raises on odd input.
  Identifiers are filled as whole tokens, and a dataset answer never keeps another
  customer's order number, invoice number or amount (see :func:`slot_template`), nor another
  customer's name, city, country or account type (see :class:`Responder`, Notes).
- Queues: Erlang C waiting time for ``c`` agents and a discrete-event simulation that checks it.
"""

from __future__ import annotations

import heapq
import math
import numbers
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union

from ._history import history_frame

__all__ = [
    "cluster_bootstrap_weights",
    "normalize",
    "near_duplicate_groups",
    "random_split",
    "template_split",
    "family_split",
    "TEMPLATE_THRESHOLD",
    "FAMILY_THRESHOLD",
    "TfidfIntentClassifier",
    "KerasIntentClassifier",
    "reliability_table",
    "expected_calibration_error",
    "top_confusions",
    "add_typos",
    "rephrase",
    "robustness_sets",
    "score_with_interval",
    "TYPO_RATE",
    "REPHRASE_STYLES",
    "find_identifiers",
    "slot_template",
    "fill_placeholders",
    "customer_capitalised",
    "shop_vocabulary",
    "echoed_capitalised",
    "entity_words",
    "neutralise_entities",
    "Answer",
    "Responder",
    "erlang_c_wait",
    "wait_with_assistant",
    "BOOK_QUEUE",
    "simulate_queue",
]

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w\s]")


# --------------------------------------------------------------------------- validation
def _check_number(value, name: str, low=None, high=None, *, low_open=False, integer=False,
                  hint: str = "") -> float | int:
    """Return ``value`` if it is a real (or integer) number in the given range, else raise.

    Booleans, strings, ``None`` and NaN are rejected with a message that names the value.
    """
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, (bool, np.bool_)) or not ok_type:
        raise TypeError(f"{name} must be {kind}, got {value!r} of type {type(value).__name__}"
                        + (f"; {hint}" if hint else ""))
    if not integer and not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}" + (f"; {hint}" if hint else ""))
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}"
        hi = "" if high is None else f"{high}]"
        rng = f"in {lo}, {hi}" if low is not None and high is not None else (
            f"{'>' if low_open else '>='} {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{name} must be {rng}, got {value!r}" + (f"; {hint}" if hint else ""))
    return int(value) if integer else float(value)


def _check_texts(texts, name: str = "texts") -> list[str]:
    """A list of strings from a sequence of texts; one string or missing values raise."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, got a single string {str(texts)[:40]!r}; "
                        f"wrap it in a list: [{str(texts)[:20]!r}]")
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of strings, got {type(texts).__name__}") from None
    missing = [i for i, t in enumerate(items) if t is None or (isinstance(t, float) and math.isnan(t))
               or t is pd.NA]
    if missing:
        raise ValueError(f"{name} has {len(missing)} missing value(s) (None/NaN) at position(s) "
                         f"{missing[:10]}; fill or drop them before fitting, nothing is dropped silently")
    return [str(t) for t in items]


def _check_same_length(**named) -> int:
    lengths = {k: len(v) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"lengths differ: {lengths}; pass one entry per utterance in each")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError(f"{', '.join(lengths)} are empty; at least one utterance is needed")
    return n


def _encode(vectorizer, texts) -> np.ndarray:
    """Token ids of normalised texts from a fitted ``TextVectorization`` layer."""
    return np.asarray(vectorizer(np.array([normalize(t) for t in texts])))


def _check_fitted(obj, attr: str) -> None:
    if not hasattr(obj, attr):
        raise NotFittedError(f"this {type(obj).__name__} is not fitted yet: call .fit(texts, labels) first")


def _check_labels(labels, name: str = "labels", min_classes: int = 2) -> np.ndarray:
    """Intent labels as an array; missing labels or fewer than two intents raise."""
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of intents, got a single string {labels!r}")
    items = list(labels)
    missing = np.flatnonzero(pd.isna(np.asarray(items, dtype=object))) if items else np.array([], dtype=int)
    if missing.size:
        raise ValueError(f"{name} has {missing.size} missing value(s) at position(s) {missing[:10].tolist()}; "
                         "label every utterance, nothing is dropped silently")
    arr = np.asarray(items)
    if arr.size and len(pd.unique(arr)) < min_classes:
        raise ValueError(f"{name} has a single intent {arr[0]!r}; a classifier needs at least two")
    return arr


def normalize(text: str) -> str:
    """Lower-case, digits -> ``0``, punctuation removed, whitespace collapsed."""
    t = _DIGITS.sub("0", str(text).lower())
    return " ".join(_NON_WORD.sub(" ", t).split())


def near_duplicate_groups(texts: Sequence[str], labels: Sequence, threshold: float = 0.8) -> np.ndarray:
    """Group utterances that are near-duplicates of each other within the same label.

    Two utterances are linked when the cosine similarity of their character 3-5-gram TF-IDF
    vectors (after :func:`normalize`) is at least ``threshold``; groups are the connected
    components of these links.

    Returns
    -------
    ndarray of int, shape (n,)
        Group id per utterance.
    """
    threshold = _check_number(threshold, "threshold", 0, 1, hint="a cosine similarity, e.g. 0.8")
    texts = _check_texts(texts)
    _check_same_length(texts=texts, labels=labels)
    norm = [normalize(t) for t in texts]
    V = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(norm)
    S = (V @ V.T).tocoo()
    lab = np.asarray(labels)
    keep = (S.data >= threshold) & (lab[S.row] == lab[S.col])
    A = sp.csr_matrix((np.ones(keep.sum()), (S.row[keep], S.col[keep])), shape=S.shape)
    _, groups = connected_components(A, directed=False)
    return groups


def random_split(labels, test_size: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stratified random split; returns (train_index, test_index) as positions."""
    _check_number(test_size, "test_size", 0, 1, low_open=True, hint="a share such as 0.25")
    if test_size >= 1:
        raise ValueError(f"test_size must be below 1, got {test_size!r}; a share such as 0.25")
    idx = np.arange(len(labels))
    tr, te = train_test_split(idx, test_size=test_size, stratify=np.asarray(labels), random_state=seed)
    return np.sort(tr), np.sort(te)


def template_split(texts, labels, test_size: float = 0.25, seed: int = 0,
                   threshold: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Split so that every near-duplicate group lies entirely in train or in test.

    Groups are drawn at random per label until about ``test_size`` of that label's
    utterances are in the test set; a group that would leave its label with no training
    utterance stays in training, so every label can be learned.
    """
    _check_number(test_size, "test_size", 0, 1, low_open=True, hint="a share such as 0.25")
    if test_size >= 1:
        raise ValueError(f"test_size must be below 1, got {test_size!r}; a share such as 0.25")
    _check_number(seed, "seed", 0, integer=True)
    groups = near_duplicate_groups(texts, labels, threshold)
    lab = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(lab), dtype=bool)
    for value in pd.unique(lab):
        members = np.flatnonzero(lab == value)
        gs = pd.unique(groups[members])
        rng.shuffle(gs)
        target, taken = test_size * len(members), 0
        for g in gs:
            if taken >= target:
                break
            rows = members[groups[members] == g]
            if taken + len(rows) >= len(members):
                continue  # keep at least one group of this label for training
            test[rows] = True
            taken += len(rows)
    return np.flatnonzero(~test), np.flatnonzero(test)


#: Similarity at which the book groups near-duplicate utterances for the template split.
TEMPLATE_THRESHOLD = 0.8
#: Similarity at which whole *families* of phrasings are grouped: the book's hardest split.
FAMILY_THRESHOLD = 0.6


def family_split(texts, labels, test_size: float = 0.25, seed: int = 0,
                 threshold: float = FAMILY_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """The phrasing-family split: :func:`template_split` with groups formed at a low
    similarity (``FAMILY_THRESHOLD`` = 0.6), so whole families of phrasings are held out.

    At this similarity a group holds many paraphrases, so the test part is larger than
    ``test_size`` (on the Bitext sample about two thirds of the utterances) and the model
    learns from fewer, less varied examples: the hardest of the book's splits.

    Returns
    -------
    (train_index, test_index) : positions, as for :func:`template_split`.

    Examples
    --------
    >>> tr, te = family_split(texts, intents)          # doctest: +SKIP
    """
    return template_split(texts, labels, test_size=test_size, seed=seed, threshold=threshold)


class TfidfIntentClassifier(ClassifierMixin, BaseEstimator):
    """TF-IDF (word 1-2-grams and character 2-5-grams) + multinomial logistic regression.

    A scikit-learn classifier: ``clone``, ``get_params``, ``score`` (accuracy) and grid
    search work; the fit is deterministic (no seed needed).

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.

    Attributes
    ----------
    pipeline_ : sklearn Pipeline
        The fitted features and logistic regression.
    classes_ : ndarray
        The intents, in the order of :meth:`predict_proba`'s columns.
    """

    def __init__(self, C: float = 10.0):
        self.C = C

    def fit(self, texts, labels) -> "TfidfIntentClassifier":
        """Fit on utterances and their intents.

        Raises
        ------
        TypeError, ValueError
            ``C`` not a positive finite number; ``texts`` one string instead of a list;
            missing texts or labels; lengths that differ; fewer than two intents.
        """
        _check_number(self.C, "C", 0, low_open=True, hint="the inverse regularisation strength, e.g. 10.0")
        texts = _check_texts(texts)
        labels = _check_labels(labels)
        _check_same_length(texts=texts, labels=labels)

        feats = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=normalize),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=normalize),
        )
        pipeline = make_pipeline(feats, LogisticRegression(C=self.C, max_iter=2000))
        pipeline.fit(texts, np.asarray(labels))
        # set only once training has succeeded: a failed refit leaves no half-fitted state
        self.pipeline_, self.classes_ = pipeline, pipeline.classes_
        return self

    def predict_proba(self, texts) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        _check_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba(_check_texts(texts))

    def predict(self, texts) -> np.ndarray:
        """The most probable intent per text."""
        proba = self.predict_proba(texts)
        return self.classes_[proba.argmax(axis=1)]


class KerasIntentClassifier(ClassifierMixin, BaseEstimator):
    """A small Keras text CNN: ``TextVectorization`` -> embeddings -> Conv1D -> max-pool -> softmax.

    A scikit-learn classifier: the constructor only stores the hyperparameters, :meth:`fit`
    validates them and trains from scratch (same ``seed``, same model).

    Parameters
    ----------
    max_tokens, sequence_length : vocabulary size and padded length
    dim, filters : embedding size and convolution filters (kernel width 3)
    epochs, batch_size, learning_rate, seed

    Attributes
    ----------
    classes_ : ndarray
        The intents (sorted), in the order of :meth:`predict_proba`'s columns.
    vectorizer_, model_ : the fitted ``TextVectorization`` layer and Keras model
    n_params_ : int
    history_ : DataFrame
        One row per epoch (index ``epoch`` from 1): ``loss``, ``accuracy`` and, with
        validation data, ``val_loss``, ``val_accuracy``.
    """

    def __init__(self, max_tokens=6000, sequence_length=40, dim=64, filters=128, epochs=12,
                 batch_size=64, learning_rate=0.003, seed=0):
        self.max_tokens = max_tokens
        self.sequence_length = sequence_length
        self.dim = dim
        self.filters = filters
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed

    def fit(self, texts, labels, validation=None) -> "KerasIntentClassifier":
        """Fit; ``validation=(texts, labels)`` adds validation loss and accuracy per epoch to
        ``history_``.

        Raises
        ------
        TypeError, ValueError
            A size, epoch count or batch size that is not a positive integer; a learning rate
            that is not a positive finite number; bad texts or labels (as for
            :meth:`TfidfIntentClassifier.fit`); validation intents not seen in training.
        """
        for name in ("max_tokens", "sequence_length", "dim", "filters", "epochs", "batch_size"):
            _check_number(getattr(self, name), name, 1, integer=True)
        _check_number(self.seed, "seed", 0, integer=True)
        _check_number(self.learning_rate, "learning_rate", 0, low_open=True, hint="e.g. 0.003")
        texts = _check_texts(texts)
        labels = _check_labels(labels)
        _check_same_length(texts=texts, labels=labels)
        if validation is not None:
            try:
                vt, vl = validation
            except (TypeError, ValueError):
                raise TypeError("validation must be a pair (texts, labels)") from None
            vt, vl = _check_texts(vt, "validation texts"), np.asarray(list(vl))
            _check_same_length(validation_texts=vt, validation_labels=vl)
            unseen = sorted(set(vl.tolist()) - set(labels.tolist()))
            if unseen:
                raise ValueError(f"validation labels {unseen[:5]} do not occur in the training labels; "
                                 "use a split that keeps every intent in training (template_split does)")
            validation = (vt, vl)
        from .repro import import_tensorflow

        import_tensorflow()
        import keras

        keras.utils.set_random_seed(self.seed)
        classes = np.array(sorted(pd.unique(np.asarray(labels))))
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[v] for v in labels], dtype="int32")
        vectorizer = keras.layers.TextVectorization(
            max_tokens=self.max_tokens, output_sequence_length=self.sequence_length,
            standardize=None, split="whitespace", ngrams=None)
        vectorizer.adapt(np.array([normalize(t) for t in texts]))
        L = keras.layers
        inp = keras.Input((self.sequence_length,), dtype="int64")
        h = L.Embedding(self.max_tokens, self.dim)(inp)
        h = L.Conv1D(self.filters, 3, padding="same", activation="relu")(h)
        h = L.GlobalMaxPooling1D()(h)
        h = L.Dropout(0.3)(h)
        out = L.Dense(len(classes), activation="softmax")(h)
        model = keras.Model(inp, out)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        val = None
        if validation is not None:
            vt, vl = validation
            val = (_encode(vectorizer, vt), np.array([index[v] for v in vl], dtype="int32"))
        h = model.fit(_encode(vectorizer, texts), y, epochs=self.epochs, batch_size=self.batch_size,
                      validation_data=val, verbose=0, shuffle=True)
        hist = history_frame(h.history)
        # set only once training has succeeded: a failed refit leaves no half-fitted state
        self.classes_, self.vectorizer_, self.model_ = classes, vectorizer, model
        self.n_params_ = model.count_params()
        self.history_ = hist
        return self

    def _encode(self, texts) -> np.ndarray:
        return _encode(self.vectorizer_, texts)

    def predict_proba(self, texts) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        _check_fitted(self, "model_")
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype="float32")
        return self.model_.predict(self._encode(texts), verbose=0, batch_size=512)

    def predict(self, texts) -> np.ndarray:
        """The most probable intent per text."""
        proba = self.predict_proba(texts)
        return self.classes_[proba.argmax(axis=1)]


def reliability_table(y_true, proba: np.ndarray, classes, n_bins: int = 10) -> pd.DataFrame:
    """Confidence (max probability) against accuracy in equal-width bins.

    Returns
    -------
    DataFrame
        bin_low, bin_high, count, confidence (mean), accuracy.
    """
    n_bins = _check_number(n_bins, "n_bins", 1, integer=True)
    proba = np.asarray(proba, dtype=float)
    classes = np.asarray(classes)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(f"proba must have shape (n, {len(classes)}) (one column per class), got {proba.shape}")
    if len(y_true) != proba.shape[0]:
        raise ValueError(f"y_true has {len(y_true)} entries but proba has {proba.shape[0]} rows")
    if proba.shape[0] == 0:
        raise ValueError("proba is empty: no predictions to bin")
    if not np.isfinite(proba).all():
        raise ValueError("proba contains NaN or infinite values")
    conf = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == np.asarray(y_true)
    edges = np.linspace(0, 1, n_bins + 1)
    b = np.clip(np.digitize(conf, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for i in range(n_bins):
        m = b == i
        if m.any():
            rows.append((edges[i], edges[i + 1], int(m.sum()), float(conf[m].mean()), float(correct[m].mean())))
    return pd.DataFrame(rows, columns=["bin_low", "bin_high", "count", "confidence", "accuracy"])


def expected_calibration_error(table: pd.DataFrame) -> float:
    """Count-weighted mean absolute difference between accuracy and confidence over the bins
    of :func:`reliability_table`."""
    w = table["count"] / table["count"].sum()
    return float((w * (table["accuracy"] - table["confidence"]).abs()).sum())


def top_confusions(y_true, y_pred, k: int = 10) -> pd.DataFrame:
    """The most frequent (true, predicted) pairs among the errors."""
    k = _check_number(k, "k", 0, integer=True, hint="the number of pairs to show, e.g. 10")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} entries but y_pred has {len(y_pred)}")
    d = pd.DataFrame({"true": np.asarray(y_true), "predicted": np.asarray(y_pred)})
    d = d[d["true"] != d["predicted"]]
    return (d.value_counts().rename("count").reset_index().head(k))


def add_typos(text: str, rate: float, seed: int = 0) -> str:
    """Corrupt a share ``rate`` of the letters: each chosen letter is deleted, doubled,
    replaced by a neighbour letter, or swapped with the next one (equally likely)."""
    _check_number(rate, "rate", 0, 1, hint="the share of letters to corrupt")
    rng = np.random.default_rng(seed)
    chars = list(str(text))
    out, i = [], 0
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and rng.random() < rate:
            op = rng.integers(4)
            if op == 0:
                i += 1
                continue
            if op == 1:
                out += [c, c]
            elif op == 2:
                out.append(chr((ord(c.lower()) - 97 + 1) % 26 + 97) if c.isascii() else c)
            elif i + 1 < len(chars):
                out += [chars[i + 1], c]
                i += 2
                continue
            else:
                out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- rephrasing
#: Share of letters corrupted in the book's typo test set (:func:`robustness_sets`).
TYPO_RATE = 0.1
#: The styles of :func:`rephrase`.
REPHRASE_STYLES = ("colloquial", "reworded", "both")

_OPENERS = ("hey", "hi", "hello", "hiya", "hi there", "ok so", "um", "good morning", "yo")
_CLOSERS = ("thx", "thanks", "pls", "asap", "cheers", "ty", "any help appreciated", "??", "thank u")
#: Contractions and chat spellings, (pattern, replacement); each applies with probability 0.7.
_CHAT = (
    (r"\bi am\b", "im"), (r"\bi would like to\b", "id like to"), (r"\bi would\b", "i'd"),
    (r"\bi have\b", "i've"), (r"\bdo not\b", "dont"), (r"\bdon't\b", "dont"), (r"\bcannot\b", "cant"),
    (r"\bcan not\b", "cant"), (r"\bit is\b", "its"), (r"\bwhat is\b", "whats"), (r"\bwant to\b", "wanna"),
    (r"\bgoing to\b", "gonna"), (r"\bgot to\b", "gotta"), (r"\byou\b", "u"), (r"\byour\b", "ur"),
    (r"\bplease\b", "pls"), (r"\bthanks\b", "thx"), (r"\bthank you\b", "thx"), (r"\bbecause\b", "cuz"),
    (r"\bare\b", "r"), (r"\bsomeone\b", "some1"), (r"\bwith\b", "w/"),
)
_ARTICLES = re.compile(r"\b(?:a|an|the)\s+", re.IGNORECASE)
#: Synonyms for the key retail words of the intents; each applies with probability 0.8.
_SYNONYMS = (
    (r"\brefunds?\b", ("money back", "my money returned", "repayment")),
    (r"\breimbursements?\b", ("money back", "repayment")),
    (r"\b(?:invoices?|bills?)\b", ("receipt", "billing statement", "paperwork for the purchase")),
    (r"\bcancel(?:l?ing)?\b", ("call off", "scrap", "drop")),
    (r"\borders?\b", ("purchase", "stuff i ordered", "online purchase")),
    (r"\baccounts?\b", ("profile", "user profile", "login")),
    (r"\bpasswords?\b", ("login details", "pass code", "sign-in details")),
    (r"\b(?:delivery|shipping) address(?:es)?\b", ("where my parcels go", "postal details", "destination for my parcels")),
    (r"\baddress(?:es)?\b", ("postal details", "street details", "where i live")),
    (r"\b(?:delivery|deliveries|shipping)\b", ("shipment", "dispatch", "postage")),
    (r"\b(?:human|live|real) (?:agent|person|representative)\b", ("actual person", "someone real", "a real human")),
    (r"\bagents?\b", ("staff member", "somebody from the team")),
    (r"\bcomplaints?\b", ("grievance", "formal protest")),
    (r"\b(?:claims?)\b", ("grievance",)),
    (r"\bnewsletters?\b", ("mailing list", "email updates", "promo emails")),
    (r"\b(?:fees?|penalty|penalties)\b", ("charge", "extra cost")),
    (r"\b(?:sign[- ]?up|signup|register|registration)\b", ("joining", "making a profile")),
    (r"\b(?:feedback|review)\b", ("opinion", "two cents", "comments")),
    (r"\bpayment methods?\b", ("ways to pay", "payment options")),
    (r"\bpayments?\b", ("paying", "card charge")),
    (r"\btrack(?:ing)?\b", ("follow", "trace")),
    (r"\b(?:check|see|view)\b", ("look at", "have a look at", "find out")),
    (r"\b(?:help|assistance|support)(?= (?:to|with|on|for)\b)", ("a hand", "some guidance")),
)
#: A leading request frame ("I want to ...", "how can I ...") that word-order changes move.
_FRAME = re.compile(
    r"^\s*(?:(?:(?:i|we)\s+)?(?:want|need|would like|'d like|have got|have|wanna|gotta|am trying|try)(?:\s+to)?"
    r"|i'd like(?:\s+to)?|how\s+(?:can|do|could|should)\s+i|(?:can|could|would)\s+(?:you|u)(?:\s+help\s+me)?(?:\s+to)?"
    r"|help\s+me(?:\s+to)?|i\s+need\s+(?:help|assistance|support)(?:\s+to|\s+with)?)\s+", re.IGNORECASE)
_AFTER = ("{rest}, how do i do that", "{rest} - can that be done", "need to sort this out: {rest}",
          "{rest}. possible?", "about {rest}, what are my options", "{rest}... where do i start")
_FILLER_BEFORE = ("sorry to bother you but ", "quick question, ", "my friend said to ask here, ",
                  "second time writing about this, ", "not sure this is the right place but ",
                  "i've been waiting all week and ")
_FILLER_AFTER = (", it's urgent", " because i'm travelling next week", ", i tried the website already",
                 ", nothing on the site explains it", " before the weekend if possible")


def _sub_some(pattern: str, repl, text: str, rng: np.random.Generator, p: float) -> str:
    """Replace each match of ``pattern`` (case-insensitive) with probability ``p``; ``repl``
    is a string or a tuple of alternatives chosen at random."""
    def one(m):
        if rng.random() >= p:
            return m.group(0)
        return repl if isinstance(repl, str) else repl[rng.integers(len(repl))]
    return re.sub(pattern, one, text, flags=re.IGNORECASE)


def _colloquial(text: str, rng: np.random.Generator) -> str:
    t = text.lower()
    for pattern, repl in _CHAT:
        t = _sub_some(pattern, repl, t, rng, 0.7)
    t = _ARTICLES.sub(lambda m: "" if rng.random() < 0.6 else m.group(0), t)
    t = re.sub(r"[?.!,;:]+", lambda m: "" if rng.random() < 0.8 else m.group(0), t)
    if rng.random() < 0.6:
        t = f"{_OPENERS[rng.integers(len(_OPENERS))]} {t}"
    if rng.random() < 0.6:
        t = f"{t} {_CLOSERS[rng.integers(len(_CLOSERS))]}"
    return " ".join(t.split())


def _reworded(text: str, rng: np.random.Generator) -> str:
    t = " ".join(text.split())
    # synonyms on the original words only: a replacement is never replaced again
    spans, out = [], []
    for pattern, alternatives in _SYNONYMS:
        for m in re.finditer(pattern, t, flags=re.IGNORECASE):
            if any(a < m.end() and m.start() < b for a, b, _ in spans):
                continue
            if rng.random() < 0.8:
                spans.append((m.start(), m.end(), alternatives[rng.integers(len(alternatives))]))
    pos = 0
    for a, b, word in sorted(spans):
        out += [t[pos:a], word]
        pos = b
    t = "".join(out) + t[pos:]
    m = _FRAME.match(t)
    rest = t[m.end():].rstrip(" ?.!") if m else ""
    if m and rest and rng.random() < 0.7:
        t = _AFTER[rng.integers(len(_AFTER))].format(rest=rest)
    elif rng.random() < 0.5:
        t = _FILLER_BEFORE[rng.integers(len(_FILLER_BEFORE))] + t[:1].lower() + t[1:]
    else:
        t = t.rstrip(" ?.!") + _FILLER_AFTER[rng.integers(len(_FILLER_AFTER))]
    return " ".join(t.split())


def rephrase(texts, style: str = "colloquial", seed: int = 0) -> list[str]:
    """Rewrite customer messages the way real customers write, to test a classifier on wording
    outside its training templates.

    Parameters
    ----------
    texts : sequence of str
        The messages (e.g. the test part of :func:`family_split`, so nothing the model trained
        on leaks into the rewritten set).
    style : {"colloquial", "reworded", "both"}
        ``"colloquial"``: lower case; contractions and chat spellings (``you`` -> ``u``,
        ``please`` -> ``pls``, ``want to`` -> ``wanna``, ``I am`` -> ``im``); articles and
        punctuation mostly dropped; a casual opener (``hey``, ``ok so``) and closer (``thx``,
        ``asap``) added at random.
        ``"reworded"`` (out-of-template wording): the key retail words replaced by everyday
        synonyms (``refund`` -> ``money back``, ``invoice`` -> ``receipt``, ``account`` ->
        ``profile``, ``cancel`` -> ``call off``, ``human agent`` -> ``actual person``); a leading
        request frame moved to the end (``"I want to cancel order 123"`` -> ``"call off purchase
        123, how do i do that"``) or, failing that, a filler clause before or after
        (``"sorry to bother you but ..."``, ``"..., it's urgent"``).
        ``"both"``: reworded, then colloquial.
    seed : int >= 0
        Every choice is drawn from one generator seeded here: the same texts and seed give the
        same output.

    Returns
    -------
    list of str
        One rewritten message per input, in order. Numbers (order and invoice numbers) are kept.

    Raises
    ------
    ValueError
        Unknown ``style``; ``TypeError`` for a single string instead of a list.

    Examples
    --------
    >>> rephrase(["I want to cancel order 1234567"], style="reworded", seed=0)   # doctest: +SKIP
    ['scrap purchase 1234567 - can that be done']
    """
    texts = _check_texts(texts)
    if style not in REPHRASE_STYLES:
        raise ValueError(f"style must be one of {REPHRASE_STYLES}, got {style!r}")
    _check_number(seed, "seed", 0, integer=True)
    rng = np.random.default_rng(seed)
    out = []
    for t in texts:
        if style in ("reworded", "both"):
            t = _reworded(t, rng)
        if style in ("colloquial", "both"):
            t = _colloquial(t, rng)
        out.append(t)
    return out


def robustness_sets(texts, seed: int = 0, typo_rate: float = TYPO_RATE) -> dict[str, list[str]]:
    """The book's test sets for how far intent accuracy travels, all built from ``texts``.

    Returns
    -------
    dict
        ``"as written"`` (the texts), ``"typos"`` (:func:`add_typos` at ``typo_rate``, message
        ``i`` with seed ``seed + i``), ``"colloquial"``, ``"reworded"`` and ``"both"``
        (:func:`rephrase` with that style and ``seed``).
    """
    texts = _check_texts(texts)
    _check_number(seed, "seed", 0, integer=True)
    _check_number(typo_rate, "typo_rate", 0, 1)
    out = {"as written": list(texts),
           "typos": [add_typos(t, typo_rate, seed=seed + i) for i, t in enumerate(texts)]}
    for style in REPHRASE_STYLES:
        out[style] = rephrase(texts, style=style, seed=seed)
    return out


def _macro_f1_counts(y: np.ndarray, p: np.ndarray, k: int, idx: np.ndarray) -> np.ndarray:
    """Accuracy and macro-F1 for each row of resampling indices ``idx`` (shape (B, n));
    labels are integer codes < k. Macro-F1 averages over the labels present in the resampled
    true or predicted labels, as scikit-learn does."""
    B = idx.shape[0]
    yi, pi = y[idx], p[idx]
    off = (np.arange(B) * k)[:, None]
    true_n = np.bincount((yi + off).ravel(), minlength=B * k).reshape(B, k)
    pred_n = np.bincount((pi + off).ravel(), minlength=B * k).reshape(B, k)
    hit = yi == pi
    tp = np.bincount((yi + off)[hit], minlength=B * k).reshape(B, k)
    present = (true_n + pred_n) > 0
    f1 = np.where(present, 2 * tp / np.maximum(true_n + pred_n, 1), 0.0)
    return np.column_stack([hit.mean(axis=1), f1.sum(axis=1) / present.sum(axis=1)])


def _macro_f1_weighted(y: np.ndarray, p: np.ndarray, k: int, w: np.ndarray) -> np.ndarray:
    """As :func:`_macro_f1_counts`, with each row of ``w`` (shape (B, n)) giving how often each
    message is drawn (a cluster bootstrap repeats whole groups)."""
    B = w.shape[0]
    off = (np.arange(B) * k)[:, None]
    yi, pi = np.broadcast_to(y, w.shape) + off, np.broadcast_to(p, w.shape) + off
    true_n = np.bincount(yi.ravel(), weights=w.ravel(), minlength=B * k).reshape(B, k)
    pred_n = np.bincount(pi.ravel(), weights=w.ravel(), minlength=B * k).reshape(B, k)
    hit = (y == p).astype(float)
    tp = np.bincount(yi.ravel(), weights=(w * hit).ravel(), minlength=B * k).reshape(B, k)
    present = (true_n + pred_n) > 0
    f1 = np.where(present, 2 * tp / np.maximum(true_n + pred_n, 1), 0.0)
    return np.column_stack([(w * hit).sum(axis=1) / w.sum(axis=1), f1.sum(axis=1) / present.sum(axis=1)])


def cluster_bootstrap_weights(groups, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """Bootstrap weights that resample whole groups (a cluster bootstrap).

    Parameters
    ----------
    groups : sequence, length n
        Group id per message (e.g. its phrasing family).
    n_boot, seed : int
        Resamples and the resampling seed.

    Returns
    -------
    ndarray, shape (n_boot, n)
        Entry (b, i) is how often message i's group was drawn in resample b (groups drawn with
        replacement, as many draws as there are groups).

    Examples
    --------
    >>> w = cluster_bootstrap_weights(["a", "a", "b"], n_boot=4, seed=0)
    >>> bool((w[:, 0] == w[:, 1]).all()), w.shape
    (True, (4, 3))
    """
    _, code = np.unique(np.asarray(groups), return_inverse=True)
    G = int(code.max()) + 1
    draws = np.random.default_rng(seed).integers(0, G, size=(n_boot, G))
    counts = np.stack([np.bincount(d, minlength=G) for d in draws])
    return counts[:, code].astype(float)


def score_with_interval(y_true, predictions, n_boot: int = 1000, level: float = 0.95,
                        seed: int = 0, groups=None) -> dict[str, float]:
    """Accuracy and macro-F1 of one or several models' predictions, with bootstrap intervals.

    Parameters
    ----------
    y_true : sequence, length n
    predictions : sequence of length n, or a list of such (one per seed of the same model)
        With several, the scores are averaged over them; the interval resamples messages
        (the same resample for every seed) and the spread is the standard deviation over seeds.
    n_boot, level, seed : bootstrap resamples, interval level, and the resampling seed.
    groups : sequence, length n, optional
        Group id per message (e.g. its phrasing family). When given, the bootstrap resamples
        whole groups instead of single messages (a cluster bootstrap), so correlated
        paraphrases do not narrow the interval. With few groups per label, resampled
        macro-F1 is biased downwards (labels lose or repeat their few groups), so the
        interval is then the normal bootstrap interval, score +- z * sd of the resampled
        scores (clipped to [0, 1]), rather than percentiles that would sit off the score.

    Returns
    -------
    dict
        ``accuracy``, ``accuracy_lo``, ``accuracy_hi``, ``accuracy_sd`` and the same for
        ``macro_f1``; ``n`` (messages) and ``runs`` (prediction sets). The ``_sd`` entries are
        0 for a single run.
    """
    y = np.asarray(list(y_true)).astype(str)
    preds = list(predictions)
    if preds and np.ndim(preds[0]) == 0:
        preds = [preds]
    preds = [np.asarray(list(p)).astype(str) for p in preds]
    if not preds:
        raise ValueError("predictions is empty: pass one array of predicted intents per run")
    for p in preds:
        _check_same_length(y_true=y, predictions=p)
    n_boot = _check_number(n_boot, "n_boot", 1, integer=True)
    level = _check_number(level, "level", 0, 1, low_open=True, hint="e.g. 0.95")
    codes = {c: i for i, c in enumerate(sorted(set(y.tolist()).union(*[set(p.tolist()) for p in preds])))}
    yc = np.array([codes[v] for v in y])
    pcs = [np.array([codes[v] for v in p]) for p in preds]
    k, n = len(codes), len(y)
    full = np.arange(n)[None, :]
    point = np.array([_macro_f1_counts(yc, pc, k, full)[0] for pc in pcs])  # (runs, 2)
    if groups is None:
        idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
        boot = np.mean([_macro_f1_counts(yc, pc, k, idx) for pc in pcs], axis=0)  # (B, 2)
    else:
        _check_same_length(y_true=y, groups=np.asarray(list(groups)))
        w = cluster_bootstrap_weights(list(groups), n_boot, seed)
        boot = np.mean([_macro_f1_weighted(yc, pc, k, w) for pc in pcs], axis=0)  # (B, 2)
    q = [(1 - level) / 2, (1 + level) / 2]
    out: dict[str, float] = {}
    for j, name in enumerate(("accuracy", "macro_f1")):
        if groups is None:
            lo, hi = np.quantile(boot[:, j], q)
        else:
            from scipy.stats import norm

            half = norm.ppf(q[1]) * boot[:, j].std(ddof=1)
            lo, hi = max(point[:, j].mean() - half, 0.0), min(point[:, j].mean() + half, 1.0)
        out[name] = float(point[:, j].mean())
        out[f"{name}_lo"], out[f"{name}_hi"] = float(lo), float(hi)
        out[f"{name}_sd"] = float(point[:, j].std(ddof=1)) if len(pcs) > 1 else 0.0
    out["n"], out["runs"] = n, len(pcs)
    return out


# --------------------------------------------------------------------------- identifiers
#: A token: a maximal run of ASCII letters and digits, with an optional leading ``#``.
_TOKEN = re.compile(r"(?<![A-Za-z0-9#])#?([A-Za-z0-9]+)(?![A-Za-z0-9])")
#: A money amount: a currency sign before a number, or a number followed by a currency word.
_AMOUNT = re.compile(
    r"(?<![A-Za-z0-9])(?:[$€£¥]\s?[0-9]+(?:[.,][0-9]+)*"
    r"|[0-9]+(?:[.,][0-9]+)*\s?(?:dollars?|euros?|pounds?|usd|eur|gbp)(?![A-Za-z]))",
    re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_HEX_ID = re.compile(r"[0-9A-Fa-f]{8,}")
#: Fewest digits in a token of a customer's message for it to count as an identifier.
MIN_ID_DIGITS = 5
#: Placeholders that stand for an identifier the customer gave (order, purchase, invoice);
#: any ``{{Order|Purchase|Invoice|Bill|Tracking Number|ID [Anonymized]}}`` counts, and so does a
#: placeholder that holds a literal identifier (``{{113542617735902}}``).
ID_PLACEHOLDERS = ("Order Number", "Order Number Anonymized", "Purchase ID Anonymized",
                   "Invoice Number", "Order ID", "Order ID Anonymized", "Purchase Number Anonymized",
                   "Invoice Number Anonymized", "Bill Number Anonymized", "Tracking Number")
_ID_NAME = re.compile(r"(order|purchase|invoice|bill|tracking)\s+(number|id|no\.?)", re.IGNORECASE)
#: What a shop would configure once; other placeholders name a page or section and are
#: written out without braces (``{{Order History}}`` -> ``Order History``).
CONTACT_DEFAULTS = {
    "Customer Support Phone Number": "our customer-support line",
    "Customer Support Email": "our support e-mail address",
    "Customer Support Availability": "during our opening hours",
    "Website Name": "our website",
    "Website URL": "our website",
    "Live Chat": "live chat",
}
#: Neutral text for a slot the customer's message does not fill, and what to ask for.
NEUTRAL = {"order": ("[your order number]", "your order number"),
           "invoice": ("[your invoice number]", "your invoice number"),
           "amount": ("[the amount]", "the amount")}
_SLOT = {"order": "{{Order Number}}", "invoice": "{{Invoice Number}}", "amount": "{{Amount}}"}


def _is_literal_id(token: str) -> bool:
    """An identifier written into a dataset answer: 4+ digits, or 8+ hex characters mixing
    digits and letters (the anonymised 64-hex ids)."""
    digits = sum(c.isdigit() for c in token)
    if digits >= 4:
        return True
    return bool(_HEX_ID.fullmatch(token)) and digits > 0 and any(c.isalpha() for c in token)


def find_identifiers(message) -> list[str]:
    """Identifiers in a customer's message, distinct, in order of appearance.

    An identifier is a whole token (a maximal run of ASCII letters and digits, an optional
    leading ``#`` dropped) with at least :data:`MIN_ID_DIGITS` digits that is not a money
    amount: ``"order 4455667788"`` -> ``["4455667788"]``, ``"ORD123456"`` -> ``["ORD123456"]``,
    ``"refund $12345"`` -> ``[]``. A number is never cut out of a longer token.
    """
    text = "" if message is None else str(message)
    amounts = [m.span() for m in _AMOUNT.finditer(text)]
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(1)
        if sum(c.isdigit() for c in tok) < MIN_ID_DIGITS:
            continue
        if any(a <= m.start(1) < b for a, b in amounts):
            continue
        if tok not in out:
            out.append(tok)
    return out


def _find_amounts(message: str) -> list[str]:
    out: list[str] = []
    for m in _AMOUNT.finditer(message):
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


def _id_kind(context: str) -> str:
    return "invoice" if re.search(r"invoice|bill|receipt", context, re.IGNORECASE) else "order"


def slot_template(response: str, example: str | None = None) -> str:
    """Turn a dataset answer into a template whose customer-specific values are slots.

    The Bitext answers repeat the example customer's data: its order number (sometimes
    zero-padded or with extra digits: ``3707955617`` in the question, ``370795561790`` in the
    answer), an invoice number (``#00108``), an amount (``$299``), or an identifier of another
    row (a 64-hex id). All of these become slots, matched as whole tokens, never inside a
    longer number:

    - a placeholder holding a literal identifier (``{{113542617735902}}``) -> ``{{Order Number}}``;
    - a money amount (``$299``, ``1200 dollars``) -> ``{{Amount}}``;
    - a token with 4+ digits or an 8+ character hex id -> ``{{Order Number}}`` (``{{Invoice
      Number}}`` after the words invoice/bill/receipt);
    - a token with 3+ digits whose digits equal, contain or are contained in a number of
      ``example`` (the utterance the answer was written for) -> the same kind of slot.

    Short numbers that are not echoes of the example (list markers ``1.``, ``24/7``,
    ``5-10 days``) stay.

    Parameters
    ----------
    response : str
        A dataset answer, with ``{{...}}`` placeholders.
    example : str, optional
        The utterance the answer was written for.

    Returns
    -------
    str
        The answer with slots ``{{Order Number}}``, ``{{Invoice Number}}``, ``{{Amount}}``.
    """
    response = str(response)
    example = "" if example is None else str(example)
    ex_amounts = [m.group(0) for m in _AMOUNT.finditer(example)]
    ex_amount_digits = {"".join(_ASCII_DIGITS.findall(a)) for a in ex_amounts}
    ex_numbers = [d for d in _ASCII_DIGITS.findall(example) if len(d) >= 3]

    def echo(digits: str) -> bool:
        if len(digits) < 3:
            return False
        for r in ex_numbers:
            if digits == r or digits in r or r in digits or digits.lstrip("0") == r.lstrip("0"):
                return True
        return False

    def literal(segment: str) -> str:
        segment = _AMOUNT.sub(_SLOT["amount"], segment)

        def token(m):
            tok = m.group(1)
            digits = "".join(_ASCII_DIGITS.findall(tok))
            if tok == "Amount" or not digits:
                return m.group(0)
            if digits in ex_amount_digits and len(digits) >= 3:
                return _SLOT["amount"]
            if _is_literal_id(tok) or echo(digits):
                before = segment[max(0, m.start() - 40): m.start()]
                return _SLOT[_id_kind(before)]
            return m.group(0)

        return _TOKEN.sub(token, segment)

    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(response):
        out.append(literal(response[pos: m.start()]))
        name = m.group(1).strip()
        out.append(_SLOT[_id_kind(response[max(0, m.start() - 40): m.start()])]
                   if _is_literal_id(name) else m.group(0))
        pos = m.end()
    out.append(literal(response[pos:]))
    return "".join(out)


def _placeholder_kind(name: str) -> str | None:
    if _is_literal_id(name):
        return "order"
    bare = re.sub(r"\s*anonymi[sz]ed\s*$", "", name, flags=re.IGNORECASE).strip()
    m = _ID_NAME.fullmatch(bare)
    if m:
        return "invoice" if m.group(1).lower() in ("invoice", "bill") else "order"
    if bare.lower() in ("amount", "refund amount"):
        return "amount"
    return None


def _fill(template: str, message: str, contacts: dict | None) -> tuple[str, tuple[str, ...]]:
    """Fill the slots of a template; returns the text and what the customer still has to give."""
    ids = find_identifiers(message)
    amounts = _find_amounts(message)
    ident = ids[0] if len(ids) == 1 else None
    amount = amounts[0] if len(amounts) == 1 else None
    table = {k.lower(): v for k, v in {**CONTACT_DEFAULTS, **(contacts or {})}.items()}
    missing: list[str] = []

    def repl(m):
        name = m.group(1).strip()
        kind = _placeholder_kind(name)
        if kind is not None:
            value = amount if kind == "amount" else ident
            if value is not None:
                return value
            neutral, ask = NEUTRAL[kind]
            if ask not in missing:
                missing.append(ask)
            return neutral
        bare = re.sub(r"\s*anonymi[sz]ed\s*$", "", name, flags=re.IGNORECASE).strip()
        return table.get(name.lower(), table.get(bare.lower(), bare))

    return _PLACEHOLDER.sub(repl, template), tuple(missing)


def fill_placeholders(template: str, message: str, contacts: dict | None = None,
                      example: str | None = None) -> str:
    """Fill ``{{...}}`` placeholders of a dataset answer from the customer's message.

    The answer first goes through :func:`slot_template` (so a literal order number, invoice
    number or amount of the dataset's example customer is never kept). Identifier slots take
    the identifier of the message when it contains exactly one (see
    :func:`find_identifiers`); with none or several, a neutral placeholder
    (``[your order number]``) stands in, never a number from elsewhere. Amount slots work the
    same way. Contact placeholders take ``contacts`` (defaults: ``CONTACT_DEFAULTS``); any
    other placeholder becomes its own name.

    Parameters
    ----------
    template : str
        A dataset answer.
    message : str
        The customer's message.
    contacts : dict, optional
        Placeholder name -> text, e.g. ``{"Website Name": "shop.example"}``.
    example : str, optional
        The utterance the answer was written for: its numbers are recognised as echoes, and
        the words its customer capitalised (a name, a city: ``"bill from Mr. Smith"``) are
        replaced by :data:`ENTITY_NEUTRAL` where ``message`` does not contain them.
    """
    message = "" if message is None else str(message)
    template = slot_template(template, example)
    if example is not None:
        # the example customer's capitalised words (a name, a city) that this message lacks
        mine = customer_capitalised(str(example))
        found = {w: True for w in entity_words(template, mine, (frozenset(), frozenset())) if w in mine}
        template = neutralise_entities(template, found, keep=set(_words(message)))
    text, _ = _fill(template, message, _check_contacts(contacts))
    return text


def _check_contacts(contacts) -> dict | None:
    if contacts is None:
        return None
    if not isinstance(contacts, dict):
        raise TypeError(f"contacts must be a dict of placeholder name -> text, got {type(contacts).__name__}")
    bad = {k: v for k, v in contacts.items() if not isinstance(k, str) or not isinstance(v, str)}
    if bad:
        raise TypeError(f"contacts must map strings to strings; these entries do not: {bad!r}")
    return contacts


@dataclass
class Answer:
    """What the assistant does with one message.

    Attributes
    ----------
    intent : str or None
        The predicted intent (``None`` for an empty message).
    confidence : float
        The classifier's top probability (0 for an empty message).
    text : str
        The answer; empty when the message is handed over.
    handover : bool
        True when a person takes over.
    reason : str
        Why: ``"answered"``, or the hand-over rule that fired (see :meth:`Responder.screen`),
        or ``"low confidence (...)"``.
    missing : tuple of str
        What the answer asks the customer for because the message does not give it
        (``"your order number"``, ``"the amount"``); empty when nothing is missing.
    """

    intent: str | None
    confidence: float
    text: str
    handover: bool
    reason: str
    missing: tuple = ()


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _words(text: str) -> list[str]:
    """Lower-case runs of letters (digits and punctuation split words: ``order123`` -> ``order``)."""
    return _LETTER_RUN.findall(text.lower())


# --------------------------------------------------------------------------- other customers' details
#: What stands in for another customer's name, place or account type when an intent has no
#: answer without one (see :class:`Responder`).
ENTITY_NEUTRAL = "[the one you mean]"
#: A capitalised word written this many times or more, unprompted, in the answers is the shop's
#: own vocabulary (see :func:`entity_words`).
SHOP_MIN_RESPONSES = 5
_ASCII_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?![A-Za-z])")
_TITLES = frozenset({"Mr", "Ms", "Mrs", "Dr", "Prof", "St"})
_PRONOUN_I = frozenset({"I"})


def _blank_placeholders(text: str) -> str:
    """``{{...}}`` replaced by lower-case filler of the same length (positions are kept)."""
    return _PLACEHOLDER.sub(lambda m: "x" * len(m.group(0)), text)


def _mid_sentence(text: str, start: int) -> bool:
    """True when the word at ``start`` does not begin a sentence, line or list item."""
    before = text[:start]
    stripped = before.rstrip()
    if not stripped:
        return False
    if "\n" in before[len(stripped):]:
        return False
    last = stripped[-1]
    if last in ".!?:":
        prev = _ASCII_WORD.findall(stripped[-6:-1] if last == "." else "")
        return bool(last == "." and prev and prev[-1] in _TITLES and stripped[:-1].endswith(prev[-1]))
    return last not in "-*•>#"


def _capitalised(text: str, *, mid_only: bool) -> list[re.Match]:
    """Capitalised ASCII words of ``text`` outside placeholders (not ``I``)."""
    blank = _blank_placeholders(text)
    return [m for m in _ASCII_WORD.finditer(blank)
            if m.group(0)[0].isupper() and m.group(0) not in _PRONOUN_I
            and (not mid_only or _mid_sentence(blank, m.start()))]


def customer_capitalised(utterance: str) -> set[str]:
    """Words a customer capitalised, lower-cased: not the first word, not ``I``
    (``"bill from Mr. Smith"`` -> ``{"mr", "smith"}``; customers write mostly in lower case, so
    what they capitalise is a name, a place, an account type or an acronym)."""
    words = [m for m in _ASCII_WORD.finditer(str(utterance))]
    return {m.group(0).lower() for m in words[1:] if m.group(0)[0].isupper() and m.group(0) not in _PRONOUN_I}


def shop_vocabulary(templates, utterances, min_responses: int = SHOP_MIN_RESPONSES) -> tuple[frozenset, frozenset]:
    """The shop's own words in the training answers: what the answers write *unprompted*.

    A word is unprompted in an answer when the utterance it answers does not contain it
    (compared in lower case).

    Returns
    -------
    (capitalised, lower) : frozensets
        ``capitalised``: words written capitalised in mid-sentence in at least
        ``min_responses`` answers unprompted (``"Visa"``, ``"PayPal"``, ``"Invoices"``);
        ``lower``: lower-case words written in at least ``min_responses`` answers unprompted
        (``"may"``, ``"standard"``). A city, a person's name or an account type that an answer
        only repeats after its customer is in neither.
    """
    caps: dict[str, int] = {}
    low: dict[str, int] = {}
    for tpl, utt in zip(templates, utterances):
        asked = set(_words(str(utt)))
        for w in {m.group(0) for m in _capitalised(str(tpl), mid_only=True)}:
            if w.lower() not in asked:
                caps[w] = caps.get(w, 0) + 1
        for w in set(_ASCII_WORD.findall(_blank_placeholders(str(tpl)))):
            if w.islower() and w not in asked:
                low[w] = low.get(w, 0) + 1
    return (frozenset(w for w, n in caps.items() if n >= min_responses),
            frozenset(w for w, n in low.items() if n >= min_responses))


def echoed_capitalised(templates, utterances, min_answers: int = 2) -> frozenset:
    """Words the training answers capitalise in mid-sentence only when their customer wrote
    the word (in any case), in at least ``min_answers`` answers and never unprompted,
    lower-cased: ``"standard"`` from "your Standard account" answering "my standard account"."""
    prompted: dict[str, int] = {}
    unprompted: set[str] = set()
    for tpl, utt in zip(templates, utterances):
        asked = set(_words(str(utt)))
        for w in {m.group(0).lower() for m in _capitalised(str(tpl), mid_only=True)}:
            if w in asked:
                prompted[w] = prompted.get(w, 0) + 1
            else:
                unprompted.add(w)
    return frozenset(w for w, n in prompted.items() if n >= min_answers and w not in unprompted)


def entity_words(template: str, customer_words, shop: tuple[frozenset, frozenset],
                 utterance: str | None = None) -> dict[str, bool]:
    """Another customer's details in an answer template: lower-cased word -> capitalised only.

    A word of the template (outside placeholders) is an entity when

    - it is capitalised in mid-sentence and not in the shop's capitalised vocabulary
      (``"Munich"``, ``"Germany"``, ``"Smith"``, ``"Standard"`` when the answers only repeat it); or
    - it is in ``customer_words`` (words customers capitalise, :func:`customer_capitalised`,
      or answers capitalise only after them, :func:`echoed_capitalised`) and the shop does not
      use it in lower case on its own (``"platinum"`` in any case), or it does but this
      occurrence is capitalised (``"May"``) or echoes ``utterance``, the customer this answer
      was written for (``"standard"`` in "your standard account" for "my standard account",
      not in "standard shipping" written unprompted).

    The value is True when only capitalised occurrences are the entity (the lower-case word is
    ordinary), False when every occurrence is.
    """
    shop_caps, shop_low = shop
    asked = set(_words(utterance)) if utterance is not None else set()
    out: dict[str, bool] = {}
    for m in _capitalised(template, mid_only=True):
        w = m.group(0)
        if w not in shop_caps:
            out.setdefault(w.lower(), True)
    for w in _ASCII_WORD.findall(_blank_placeholders(template)):
        lw = w.lower()
        if lw in customer_words:
            if lw not in shop_low or lw in asked:
                out[lw] = False
            elif w[0].isupper():
                out.setdefault(lw, True)
    return out


def neutralise_entities(text: str, entities: dict[str, bool], keep=frozenset()) -> str:
    """Replace each entity word (see :func:`entity_words`) not in ``keep`` by
    :data:`ENTITY_NEUTRAL`; adjacent ones (``"Mr. Smith"``, ``"Anna Freeman"``) become one."""
    drop = {w: cased for w, cased in entities.items() if w not in keep}
    if not drop:
        return text
    marker = "\x02"
    blank = _blank_placeholders(text)
    out, pos = [], 0
    for m in _ASCII_WORD.finditer(blank):
        w = m.group(0)
        cased = drop.get(w.lower())
        if cased is None or (cased and not w[0].isupper()):
            continue
        out.append(text[pos: m.start()])
        out.append(marker)
        pos = m.end()
    out.append(text[pos:])
    joined = re.sub(marker + r"(?:\.?[ \t]+" + marker + ")+", marker, "".join(out))
    return joined.replace(marker, ENTITY_NEUTRAL)


class Responder:
    """Answer from the dataset's responses, or hand over to a person.

    Parameters
    ----------
    classifier : fitted object with ``predict_proba`` and ``classes_``
    instructions, intents, responses : sequences
        Training utterances with their intents and answers; for a message, the answer of
        the most similar training utterance of the predicted intent is used, with the
        example customer's identifiers and amounts turned into slots
        (:func:`slot_template`) and filled from the message. Answers that repeat another
        customer's name, city, country or account type are passed over (see Notes).
    threshold : float in [0, 1]
        Minimum confidence (top probability) to answer automatically.
    max_chars : int >= 1
        Longer messages go to a person (the model was trained on short utterances).
    contacts : dict, optional
        Values for contact placeholders (see :func:`fill_placeholders`).
    min_known_words : int >= 0, default 2
        A message needs at least this many distinct words (2+ letters) from the training
        utterances' vocabulary; digits only (``"12345678"``), one word (``"refund"``) or
        unknown words go to a person.
    min_known_share : float in [0, 1], default 0.5
        ... and at least this share of its words must be known (a language the model was not
        trained on, e.g. Spanish, fails this).
    min_alphabet_share : float in [0, 1], default 0.9
        ... and at least this share of its letters must occur in the training utterances
        (compared in lower case): mostly non-Latin text, e.g. ``"我想退货 123"``, goes to a
        person.
    shop_min_responses : int >= 1, default 5
        A capitalised word that the training answers write in mid-sentence, unprompted (its
        utterance does not contain it), in at least this many answers is the shop's own
        vocabulary (``"Visa"``, ``"PayPal"``, ``"Invoices"``), not a customer's detail.

    Notes
    -----
    Other customers' details: the Bitext answers repeat their example customer's details
    besides numbers ("the bill from Mr. Smith", "we ship to Munich", "your Platinum
    account"). When the responder is built, every answer's *entity words* are found
    (:func:`entity_words`): words capitalised in mid-sentence that are not the shop's own
    vocabulary (:func:`shop_vocabulary`), and words that customers capitalise in the training
    utterances (:func:`customer_capitalised`; names, places, account types) or that the
    answers capitalise only after their customer (:func:`echoed_capitalised`), in lower case
    too unless the shop uses them on its own. For a message, the most similar answer of the
    predicted intent *whose entity words all occur in the message* is used (an answer with
    none always qualifies), so "do you ship to Toronto" may get the Toronto answer and "do you
    ship to Paris" gets a general one. If no answer of the intent qualifies, the most similar
    one is used with its foreign entity words replaced by :data:`ENTITY_NEUTRAL`. Either way
    an automatic answer never carries a name, place or account type that the customer did not
    write. A sentence-initial proper noun that no customer capitalised is not recognised.

    The hand-over rules are applied in this order (the first that fires is the reason):
    empty message, too long, unfamiliar alphabet, too few known words, mostly unknown
    words, then low confidence. :meth:`screen` gives the rule for a message and
    :meth:`tradeoff` applies the same rules, so its automation rate is what the assistant
    really automates.
    """

    def __init__(self, classifier, instructions, intents, responses, threshold: float = 0.6,
                 max_chars: int = 500, contacts: dict | None = None, min_known_words: int = 2,
                 min_known_share: float = 0.5, min_alphabet_share: float = 0.9,
                 shop_min_responses: int = SHOP_MIN_RESPONSES):
        self.classifier, self.threshold, self.max_chars, self.contacts = classifier, threshold, max_chars, contacts
        self.min_known_words, self.min_known_share = min_known_words, min_known_share
        self.min_alphabet_share = min_alphabet_share
        self._check_params()
        _check_number(shop_min_responses, "shop_min_responses", 1, integer=True,
                      hint="how many answers must use a capitalised word unprompted for it to be the shop's, e.g. 5")
        self.shop_min_responses = shop_min_responses
        if not (hasattr(classifier, "predict_proba") and hasattr(classifier, "classes_")):
            raise TypeError(f"classifier must be a fitted classifier with predict_proba and classes_, got "
                            f"{type(classifier).__name__}; call .fit(texts, labels) on it first")
        instructions = _check_texts(instructions, "instructions")
        responses = _check_texts(responses, "responses")
        intents = _check_labels(intents, "intents", min_classes=1)
        _check_same_length(instructions=instructions, intents=intents, responses=responses)
        self.instructions = np.asarray(instructions)
        self.intents = np.asarray(intents)
        self.responses = np.asarray(responses)
        self.vec_ = TfidfVectorizer(preprocessor=normalize, ngram_range=(1, 2)).fit(instructions)
        self.M_ = self.vec_.transform(instructions)
        self.templates_ = np.array([slot_template(r, e) for r, e in zip(responses, instructions)], dtype=object)
        self.shop_vocabulary_ = shop_vocabulary(self.templates_, instructions, shop_min_responses)
        self.customer_words_ = (frozenset(w for t in instructions for w in customer_capitalised(t))
                                | echoed_capitalised(self.templates_, instructions))
        self.entities_ = [entity_words(t, self.customer_words_, self.shop_vocabulary_, u)
                          for t, u in zip(self.templates_, instructions)]
        self._entity_sets = [frozenset(e) for e in self.entities_]
        self.vocabulary_ = frozenset(w for t in instructions for w in _words(t) if len(w) >= 2)
        self.alphabet_ = frozenset(c for t in instructions for c in t.lower() if c.isalpha())
        self._rows = {str(k): np.flatnonzero(self.intents.astype(str) == str(k))
                      for k in pd.unique(self.intents.astype(str))}

    def _check_params(self) -> None:
        _check_number(self.threshold, "threshold", 0, 1, hint="a confidence such as 0.6")
        _check_number(self.max_chars, "max_chars", 1, integer=True)
        _check_number(self.min_known_words, "min_known_words", 0, integer=True)
        _check_number(self.min_known_share, "min_known_share", 0, 1)
        _check_number(self.min_alphabet_share, "min_alphabet_share", 0, 1)
        _check_contacts(self.contacts)

    @staticmethod
    def _as_text(message) -> str:
        if message is None or message is pd.NA or (isinstance(message, float) and math.isnan(message)):
            return ""
        if isinstance(message, bytes):
            return message.decode("utf-8", errors="replace")
        return str(message)

    def screen(self, message) -> str | None:
        """The hand-over rule that a message triggers before classification, or None.

        Returns one of ``"empty message"``, ``"message too long (...)"``,
        ``"unfamiliar alphabet (...)"``, ``"too few known words (...)"``,
        ``"mostly unknown words (...)"``; None when the message may be classified.
        """
        text = self._as_text(message)
        if not normalize(text):
            return "empty message"
        if len(text) > self.max_chars:
            return f"message too long ({len(text)} characters > max_chars={self.max_chars})"
        letters = [c for c in text.lower() if c.isalpha()]
        if letters:
            share = sum(c in self.alphabet_ for c in letters) / len(letters)
            if share < self.min_alphabet_share:
                return (f"unfamiliar alphabet ({share:.0%} of letters in the trained alphabet "
                        f"< min_alphabet_share={self.min_alphabet_share:.0%})")
        words = [w for w in _words(text) if len(w) >= 2]
        known = [w for w in words if w in self.vocabulary_]
        if len(set(known)) < self.min_known_words:
            return (f"too few known words ({len(set(known))} known, "
                    f"min_known_words={self.min_known_words})")
        share = len(known) / len(words) if words else 0.0
        if share < self.min_known_share:
            return (f"mostly unknown words ({share:.0%} known < min_known_share="
                    f"{self.min_known_share:.0%})")
        return None

    def answer_many(self, messages) -> list[Answer]:
        """:meth:`answer` for many messages at once (one classifier call, one similarity
        product per intent); never raises on odd messages."""
        self._check_params()
        if isinstance(messages, (str, bytes)):
            raise TypeError("messages must be a sequence of messages; for one message use answer()")
        texts = [self._as_text(m) for m in messages]
        reasons = [self.screen(t) for t in texts]
        out: list[Answer | None] = [None] * len(texts)
        live = [i for i, t in enumerate(texts) if reasons[i] != "empty message"]
        for i, t in enumerate(texts):
            if reasons[i] == "empty message":
                out[i] = Answer(None, 0.0, "", True, "empty message")
        if not live:
            return out
        proba = np.asarray(self.classifier.predict_proba([texts[i][: self.max_chars] for i in live]))
        top = proba.argmax(axis=1)
        classes = np.asarray(self.classifier.classes_)
        todo: dict[str, list[int]] = {}
        for j, i in enumerate(live):
            intent, conf = str(classes[top[j]]), float(proba[j, top[j]])
            if reasons[i] is not None:
                out[i] = Answer(intent, conf, "", True, reasons[i])
            elif conf < self.threshold:
                out[i] = Answer(intent, conf, "", True, f"low confidence ({conf:.2f} < {self.threshold:.2f})")
            elif intent not in self._rows:
                out[i] = Answer(intent, conf, "", True, f"no answer for intent {intent!r} in the responses")
            else:
                out[i] = Answer(intent, conf, "", False, "answered")
                todo.setdefault(intent, []).append(i)
        for intent, idx in todo.items():
            rows = self._rows[intent]
            sims = (self.vec_.transform([texts[i] for i in idx]) @ self.M_[rows].T).toarray()
            for i, s in zip(idx, sims):
                said = set(_words(texts[i]))
                # only answers whose customer details (if any) are this customer's own
                fits = np.array([self._entity_sets[r] <= said for r in rows])
                best = rows[int(np.argmax(np.where(fits, s, -np.inf)))] if fits.any() else rows[int(s.argmax())]
                template = neutralise_entities(self.templates_[best], self.entities_[best], keep=said)
                text, missing = _fill(template, texts[i], self.contacts)
                reason = "answered" if not missing else f"answered, asking for {' and '.join(missing)}"
                if missing:
                    text += f" To go ahead, please send me {' and '.join(missing)}."
                out[i] = Answer(out[i].intent, out[i].confidence, text, False, reason, missing)
        return out

    def answer(self, message) -> Answer:
        """Classify and answer one message; never raises on odd input.

        Hands over (``handover=True``, ``text=""``) by the rules of :meth:`screen` and below
        the confidence threshold; ``reason`` says which rule fired.
        """
        return self.answer_many([message])[0]

    def automated(self, messages, threshold: float | None = None) -> np.ndarray:
        """Which messages the assistant answers without a person: they pass :meth:`screen` and
        the top probability reaches ``threshold`` (default: the responder's own).

        Returns
        -------
        ndarray of bool, shape (n,)
            The mean is the automation rate of :meth:`tradeoff` at that threshold.
        """
        self._check_params()
        threshold = self.threshold if threshold is None else _check_number(threshold, "threshold", 0, 1)
        texts = [self._as_text(t) for t in _check_texts(messages, "messages")]
        if not texts:
            return np.zeros(0, dtype=bool)
        ok = np.array([self.screen(t) is None for t in texts])
        proba = np.asarray(self.classifier.predict_proba([t[: self.max_chars] for t in texts]))
        return ok & (proba.max(axis=1) >= threshold)

    def tradeoff(self, texts, true_intents, thresholds=np.linspace(0, 0.95, 20)) -> pd.DataFrame:
        """Automation rate and error rate of automated answers as the threshold moves.

        The hand-over rules of :meth:`screen` apply at every threshold, so a message that
        :meth:`answer` hands over for lack of information never counts as automated.

        Returns
        -------
        DataFrame
            threshold, automation_rate (share answered without a person), error_rate (share
            of automated answers with the wrong intent), errors_per_1000 (wrong automated
            answers per 1,000 messages).
        """
        self._check_params()
        texts = [self._as_text(t) for t in _check_texts(texts)]
        true_intents = list(true_intents) if not isinstance(true_intents, str) else [true_intents]
        _check_same_length(texts=texts, true_intents=true_intents)
        thresholds = [_check_number(t, "threshold", 0, 1) for t in np.atleast_1d(np.asarray(thresholds, dtype=object))]
        ok = np.array([self.screen(t) is None for t in texts])
        proba = np.asarray(self.classifier.predict_proba([t[: self.max_chars] for t in texts]))
        conf = np.where(ok, proba.max(axis=1), -1.0)
        wrong = np.asarray(self.classifier.classes_)[proba.argmax(axis=1)].astype(str) != np.asarray(true_intents).astype(str)
        rows = []
        for t in thresholds:
            auto = conf >= t
            rate = float(auto.mean())
            err = float(wrong[auto].mean()) if auto.any() else 0.0
            rows.append((float(t), rate, err, 1000 * float((wrong & auto).mean())))
        return pd.DataFrame(rows, columns=["threshold", "automation_rate", "error_rate", "errors_per_1000"])


def erlang_c_wait(arrival_rate: float, service_rate: float, agents: int) -> float:
    """Mean waiting time in an M/M/c queue (Erlang C), in the time unit of the rates.

    Raises
    ------
    ValueError
        If the queue is unstable (arrival_rate >= agents * service_rate).
    """
    _check_number(arrival_rate, "arrival_rate", 0, low_open=True, hint="messages per unit of time")
    _check_number(service_rate, "service_rate", 0, low_open=True, hint="messages per agent per unit of time")
    _check_number(agents, "agents", 1, integer=True, hint="a whole number of agents")
    a = arrival_rate / service_rate
    rho = a / agents
    if rho >= 1:
        raise ValueError(f"unstable queue: utilisation {rho:.2f} >= 1; add agents or automate more")
    terms = sum(a**k / math.factorial(k) for k in range(agents))
    top = a**agents / math.factorial(agents) / (1 - rho)
    p_wait = top / (terms + top)
    return p_wait / (agents * service_rate - arrival_rate)


#: The book's queue: 40 messages per hour, 6 per agent-hour (10 minutes each), 8 agents.
BOOK_QUEUE = {"arrival_rate": 40.0, "service_rate": 6.0, "agents": 8}


def wait_with_assistant(automated_share: float, arrival_rate: float = BOOK_QUEUE["arrival_rate"],
                        service_rate: float = BOOK_QUEUE["service_rate"],
                        agents: int = BOOK_QUEUE["agents"]) -> float:
    """Mean wait over *all* messages when a share of them is answered automatically.

    Automatically answered messages wait zero; the rest form an M/M/c queue with arrivals
    ``(1 - automated_share) * arrival_rate`` (:func:`erlang_c_wait`). In the time unit of the
    rates (hours for the book's per-hour rates; multiply by 60 for minutes).

    Raises
    ------
    ValueError
        A share outside [0, 1], or a queue that is unstable even after automation.

    Examples
    --------
    >>> round(wait_with_assistant(0.0) * 60, 2)     # the book's queue without an assistant
    4.0
    """
    a = _check_number(automated_share, "automated_share", 0, 1, hint="a share such as 0.25")
    if a >= 1:
        return 0.0
    return (1 - a) * erlang_c_wait(arrival_rate * (1 - a), service_rate, agents)


def simulate_queue(arrival_rate: float, service_rate: float, agents: int, n: int = 20000,
                   seed: int = 0) -> np.ndarray:
    """Waiting times of ``n`` customers in a first-come-first-served queue with ``agents``
    servers, Poisson arrivals and exponential service (a discrete-event simulation)."""
    _check_number(arrival_rate, "arrival_rate", 0, low_open=True)
    _check_number(service_rate, "service_rate", 0, low_open=True)
    _check_number(agents, "agents", 1, integer=True, hint="a whole number of agents")
    _check_number(n, "n", 1, integer=True)
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / arrival_rate, n))
    service = rng.exponential(1 / service_rate, n)
    free = [0.0] * agents  # times at which each agent becomes free (a heap)
    waits = np.empty(n)
    for k in range(n):
        earliest = heapq.heappop(free)
        start = max(earliest, arrivals[k])
        waits[k] = start - arrivals[k]
        heapq.heappush(free, start + service[k])
    return waits
