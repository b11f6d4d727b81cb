"""Customer service (chapter 10): intent classification, answering with hand-over, queues.

- Splits: a random stratified split, and a *template* split that keeps near-duplicate
  utterances (the Bitext data is generated from templated paraphrases) on one side.
- Classifiers: TF-IDF + logistic regression, and a Keras text CNN (``TextVectorization``,
  embeddings, 1-D convolution), both with ``fit`` / ``predict_proba`` / ``predict``.
- :class:`Responder`: predicted intent -> the dataset's answer with placeholders filled from
  the customer's message, or a hand-over to a person when confidence is low or the input is
  unusable. Never raises on odd input.
- Queues: Erlang C waiting time for ``c`` agents and a discrete-event simulation that checks it.
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "normalize",
    "near_duplicate_groups",
    "random_split",
    "template_split",
    "TfidfIntentClassifier",
    "KerasIntentClassifier",
    "reliability_table",
    "expected_calibration_error",
    "top_confusions",
    "add_typos",
    "fill_placeholders",
    "Answer",
    "Responder",
    "erlang_c_wait",
    "simulate_queue",
]

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w\s]")


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
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer
    import scipy.sparse as sp

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
    from sklearn.model_selection import train_test_split

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


class TfidfIntentClassifier:
    """TF-IDF (word 1-2-grams and character 2-5-grams) + multinomial logistic regression.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    """

    def __init__(self, C: float = 10.0):
        self.C = C

    def fit(self, texts, labels) -> "TfidfIntentClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        feats = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=normalize),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=normalize),
        )
        self.pipeline_ = make_pipeline(feats, LogisticRegression(C=self.C, max_iter=2000))
        self.pipeline_.fit(list(map(str, texts)), np.asarray(labels))
        self.classes_ = self.pipeline_.classes_
        return self

    def predict_proba(self, texts) -> np.ndarray:
        return self.pipeline_.predict_proba(list(map(str, texts)))

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


class KerasIntentClassifier:
    """A small Keras text CNN: ``TextVectorization`` -> embeddings -> Conv1D -> max-pool -> softmax.

    Parameters
    ----------
    max_tokens, sequence_length : vocabulary size and padded length
    dim, filters : embedding size and convolution filters (kernel width 3)
    epochs, batch_size, learning_rate, seed
    """

    def __init__(self, max_tokens=6000, sequence_length=40, dim=64, filters=128, epochs=12,
                 batch_size=64, learning_rate=0.003, seed=0):
        self.max_tokens, self.sequence_length, self.dim, self.filters = max_tokens, sequence_length, dim, filters
        self.epochs, self.batch_size, self.learning_rate, self.seed = epochs, batch_size, learning_rate, seed

    def fit(self, texts, labels, validation=None) -> "KerasIntentClassifier":
        """Fit; ``validation=(texts, labels)`` records validation accuracy per epoch."""
        from .repro import import_tensorflow

        import_tensorflow()
        import keras

        keras.utils.set_random_seed(self.seed)
        self.classes_ = np.array(sorted(pd.unique(np.asarray(labels))))
        index = {c: i for i, c in enumerate(self.classes_)}
        y = np.array([index[v] for v in labels], dtype="int32")
        self.vectorizer_ = keras.layers.TextVectorization(
            max_tokens=self.max_tokens, output_sequence_length=self.sequence_length,
            standardize=None, split="whitespace", ngrams=None)
        self.vectorizer_.adapt(np.array([normalize(t) for t in texts]))
        L = keras.layers
        inp = keras.Input((self.sequence_length,), dtype="int64")
        h = L.Embedding(self.max_tokens, self.dim)(inp)
        h = L.Conv1D(self.filters, 3, padding="same", activation="relu")(h)
        h = L.GlobalMaxPooling1D()(h)
        h = L.Dropout(0.3)(h)
        out = L.Dense(len(self.classes_), activation="softmax")(h)
        self.model_ = keras.Model(inp, out)
        self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                            loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        self.n_params_ = self.model_.count_params()
        val = None
        if validation is not None:
            vt, vl = validation
            val = (self._encode(vt), np.array([index[v] for v in vl], dtype="int32"))
        h = self.model_.fit(self._encode(texts), y, epochs=self.epochs, batch_size=self.batch_size,
                            validation_data=val, verbose=0, shuffle=True)
        self.history_ = {k: [float(x) for x in v] for k, v in h.history.items()}
        return self

    def _encode(self, texts) -> np.ndarray:
        return np.asarray(self.vectorizer_(np.array([normalize(t) for t in texts])))

    def predict_proba(self, texts) -> np.ndarray:
        return self.model_.predict(self._encode(texts), verbose=0, batch_size=512)

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def reliability_table(y_true, proba: np.ndarray, classes, n_bins: int = 10) -> pd.DataFrame:
    """Confidence (max probability) against accuracy in equal-width bins.

    Returns
    -------
    DataFrame
        bin_low, bin_high, count, confidence (mean), accuracy.
    """
    conf = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
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
    d = pd.DataFrame({"true": np.asarray(y_true), "predicted": np.asarray(y_pred)})
    d = d[d["true"] != d["predicted"]]
    return (d.value_counts().rename("count").reset_index().head(k))


def add_typos(text: str, rate: float, seed: int = 0) -> str:
    """Corrupt a share ``rate`` of the letters: each chosen letter is deleted, doubled,
    replaced by a neighbour letter, or swapped with the next one (equally likely)."""
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
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


_ID = re.compile(r"\b[A-Z]{0,3}\d{5,}\b", re.IGNORECASE)
#: Placeholders that stand for an identifier the customer gave (order, purchase, invoice).
ID_PLACEHOLDERS = ("Order Number", "Order Number Anonymized", "Purchase ID Anonymized",
                   "Invoice Number", "Order ID")
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


def fill_placeholders(template: str, message: str, contacts: dict | None = None) -> str:
    """Fill ``{{...}}`` placeholders of a dataset answer from the customer's message.

    Identifier placeholders take the first order-like number in ``message`` ("your order"
    when there is none); contact placeholders take ``contacts`` (defaults:
    ``CONTACT_DEFAULTS``); any other placeholder becomes its own name.
    """
    found = _ID.search(str(message))
    ident = found.group(0) if found else None
    table = {**CONTACT_DEFAULTS, **(contacts or {})}

    def repl(m):
        name = m.group(1).strip()
        if name in ID_PLACEHOLDERS:
            return ident if ident else "your order"
        return table.get(name, name)

    return re.sub(r"\{\{([^}]*)\}\}", repl, str(template))


@dataclass
class Answer:
    """What the assistant does with one message."""

    intent: str | None
    confidence: float
    text: str
    handover: bool
    reason: str


class Responder:
    """Answer from the dataset's responses, or hand over to a person.

    Parameters
    ----------
    classifier : fitted object with ``predict_proba`` and ``classes_``
    instructions, intents, responses : sequences
        Training utterances with their intents and answers; for a message, the answer of
        the most similar training utterance of the predicted intent is used.
    threshold : float
        Minimum confidence (top probability) to answer automatically.
    max_chars : int
        Longer messages are cut to this length before classification.
    contacts : dict, optional
        Values for contact placeholders (see :func:`fill_placeholders`).
    """

    def __init__(self, classifier, instructions, intents, responses, threshold: float = 0.6,
                 max_chars: int = 500, contacts: dict | None = None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.classifier, self.threshold, self.max_chars, self.contacts = classifier, threshold, max_chars, contacts
        self.instructions = np.asarray(list(map(str, instructions)))
        self.intents = np.asarray(intents)
        self.responses = np.asarray(responses)
        self.vec_ = TfidfVectorizer(preprocessor=normalize, ngram_range=(1, 2)).fit(list(map(str, instructions)))
        self.M_ = self.vec_.transform(list(map(str, instructions)))

    def answer(self, message) -> Answer:
        """Classify and answer one message; never raises on odd input."""
        text = "" if message is None else str(message)
        if not normalize(text):
            return Answer(None, 0.0, "", True, "empty message")
        reason = "answered"
        if len(text) > self.max_chars:
            text, reason = text[: self.max_chars], f"answered (message cut to {self.max_chars} characters)"
        proba = self.classifier.predict_proba([text])[0]
        k = int(proba.argmax())
        intent, conf = str(self.classifier.classes_[k]), float(proba[k])
        if conf < self.threshold:
            return Answer(intent, conf, "", True, f"low confidence ({conf:.2f} < {self.threshold:.2f})")
        rows = np.flatnonzero(self.intents == intent)
        sims = (self.M_[rows] @ self.vec_.transform([text]).T).toarray().ravel()
        best = rows[int(sims.argmax())]
        template = str(self.responses[best])
        # some dataset answers repeat the example's own order number literally: swap it too
        example_id = _ID.search(self.instructions[best])
        if example_id and example_id.group(0) in template:
            own = _ID.search(text)
            template = template.replace(example_id.group(0), own.group(0) if own else "your order")
        return Answer(intent, conf, fill_placeholders(template, text, self.contacts), False, reason)

    def tradeoff(self, texts, true_intents, thresholds=np.linspace(0, 0.95, 20)) -> pd.DataFrame:
        """Automation rate and error rate of automated answers as the threshold moves.

        Returns
        -------
        DataFrame
            threshold, automation_rate (share answered without a person), error_rate (share
            of automated answers with the wrong intent), errors_per_1000 (wrong automated
            answers per 1,000 messages).
        """
        proba = self.classifier.predict_proba(list(texts))
        conf = proba.max(axis=1)
        wrong = self.classifier.classes_[proba.argmax(axis=1)] != np.asarray(true_intents)
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
    if arrival_rate <= 0 or service_rate <= 0 or agents < 1:
        raise ValueError("rates must be > 0 and agents >= 1")
    a = arrival_rate / service_rate
    rho = a / agents
    if rho >= 1:
        raise ValueError(f"unstable queue: utilisation {rho:.2f} >= 1; add agents or automate more")
    terms = sum(a**k / math.factorial(k) for k in range(agents))
    top = a**agents / math.factorial(agents) / (1 - rho)
    p_wait = top / (terms + top)
    return p_wait / (agents * service_rate - arrival_rate)


def simulate_queue(arrival_rate: float, service_rate: float, agents: int, n: int = 20000,
                   seed: int = 0) -> np.ndarray:
    """Waiting times of ``n`` customers in a first-come-first-served queue with ``agents``
    servers, Poisson arrivals and exponential service (a discrete-event simulation)."""
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
