"""Personalized marketing: RFM segments, A/B statistics, uplift models and their evaluation.

Uplift (incremental effect of a treatment such as an e-mail) is evaluated on a randomised
experiment: the Qini curve counts the extra responders a targeting rule buys compared with
sending the same share of e-mails at random.

The uplift models (:class:`TLearner`, :class:`ClassTransformation`, :class:`KerasUplift`)
follow scikit-learn's estimator convention (``clone``/``get_params`` work, parameters are
checked in ``fit``), with one difference in the data they learn from: ``fit(X, t, y)`` takes
the features ``X`` (units x features), the treatment ``t`` (1 treated, 0 control) and a 0/1
response ``y`` of a randomised experiment; ``predict(X)`` returns each unit's uplift.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from ._checks import as_vector
from ._history import epoch_timer, history_frame

__all__ = ["rfm_table", "RFM_SEGMENTS", "choose_k", "difference_in_means", "difference_in_ratios",
           "two_proportion_ztest", "sample_size_two_proportions", "qini_curve", "perfect_qini_curve",
           "qini_coefficient", "uplift_curve", "auuc", "uplift_at", "bootstrap_qini", "TLearner",
           "ClassTransformation", "KerasUplift", "targeting_table", "hillstrom_design", "UpliftTask",
           "uplift_task", "UPLIFT_ARM", "UPLIFT_OUTCOME", "UPLIFT_TEST_SIZE"]


def _check_level(level, name: str = "level", example: float = 0.95) -> float:
    """A confidence level, significance level or power strictly between 0 and 1."""
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in (0, 1), got {level!r}")
    if not 0 < level < 1:
        raise ValueError(f"{name} must be in (0, 1), e.g. {example}, got {level}")
    return float(level)


# --------------------------------------------------------------------------- RFM

#: Named segments from R and F scores (1-5, 5 = most recent / most frequent), first match wins.
RFM_SEGMENTS = (
    ("champions", lambda r, f: (r >= 4) & (f >= 4)),
    ("loyal", lambda r, f: (r >= 3) & (f >= 4)),
    ("new or promising", lambda r, f: (r >= 4) & (f <= 2)),
    ("needs attention", lambda r, f: (r == 3) & (f <= 3)),
    ("at risk", lambda r, f: (r <= 2) & (f >= 3)),
    ("hibernating", lambda r, f: (r <= 2) & (f <= 2)),
)


def _quintile_score(x: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Scores 1-5 by quintile of rank; tied values share the score of the first of them.

    Customers are ranked from worst to best (rank 1 = worst); a customer's score is the
    quintile in which the *lowest* rank of their tie group falls:
    ``score = ceil(5 * min_rank / n)``. So all customers with the same value share one score,
    and a value held by many customers (such as one invoice) does not push the next value past
    a score: with 35% of customers on one invoice, those score 1 and two invoices score 2. (With
    the average rank, one-invoice customers would sit at the 17th percentile and score 1, and
    two-invoice customers, average rank at the 44th percentile, would jump to 3: no customer
    would ever score 2.) A score can still be empty when one value fills a whole quintile and
    more.
    """
    key = x if higher_is_better else -x
    r = key.rank(method="min")
    return np.ceil(5 * r / len(x)).clip(1, 5).astype(int)


def rfm_table(tx: pd.DataFrame, cutoff) -> pd.DataFrame:
    """Recency, frequency, monetary value, their 1-5 scores and a named segment per customer.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines with CustomerID, InvoiceNo, InvoiceDate, Quantity, UnitPrice.
    cutoff : str or Timestamp
        Only lines before it count; recency is measured to it.

    Returns
    -------
    DataFrame indexed by CustomerID
        recency_days, frequency (invoices), monetary (GBP), R, F, M (1-5; 5 best), segment
        (see :data:`RFM_SEGMENTS`; "other" when none applies). Scores are quintiles of rank;
        tied values (many customers share a frequency) all get the score of the quintile in
        which the first of them falls, so a score bin never splits customers with the same
        value and every bin below a large tie group stays usable.
    """
    from .features import customer_features

    f = customer_features(tx, cutoff)
    if f.empty:
        raise ValueError(f"no customer has a purchase before {cutoff}")
    out = f[["recency_days", "frequency", "monetary"]].copy()
    out["R"] = _quintile_score(out["recency_days"], higher_is_better=False)
    out["F"] = _quintile_score(out["frequency"])
    out["M"] = _quintile_score(out["monetary"])
    seg = pd.Series("other", index=out.index, dtype=object)
    done = pd.Series(False, index=out.index)
    for name, rule in RFM_SEGMENTS:
        hit = rule(out["R"], out["F"]) & ~done
        seg[hit] = name
        done |= hit
    out["segment"] = seg
    return out


def choose_k(X: np.ndarray, ks=range(2, 9), seed: int = 0, sample: int = 3000) -> pd.DataFrame:
    """k-means for each k: inertia (elbow) and silhouette (on a seeded sample of rows).

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Already scaled features (e.g. standardised log-RFM).

    Returns
    -------
    DataFrame with k, inertia, silhouette
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    X = np.asarray(X, dtype=float)
    if not np.isfinite(X).all():
        raise ValueError("X has NaN or infinite values; scale or impute them first")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), size=min(sample, len(X)), replace=False)
    rows = []
    for k in ks:
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)
        rows.append((k, km.inertia_, silhouette_score(X[idx], km.labels_[idx])))
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])


# --------------------------------------------------------------------------- A/B statistics


@dataclass(frozen=True)
class Effect:
    """A difference in means (treated - control) with its normal-approximation interval."""

    treated_mean: float
    control_mean: float
    diff: float
    se: float
    low: float
    high: float
    p_value: float
    n_treated: int
    n_control: int


def difference_in_means(y_treated, y_control, level: float = 0.95) -> Effect:
    """Average treatment effect in a randomised experiment, Welch standard error.

    Parameters
    ----------
    y_treated, y_control : array-like, shape (n_t,), (n_c,)
        Outcomes (0/1 for rates, amounts for spend). NaN or inf is an error, not skipped.
    level : float in (0, 1)
        Confidence level of the interval.

    Returns
    -------
    Effect
    """
    a = as_vector(y_treated, "y_treated")
    b = as_vector(y_control, "y_control")
    level = _check_level(level)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least 2 units per arm, got {len(a)} treated and {len(b)} control")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("outcomes contain NaN; decide how to treat missing outcomes first")
    if np.isinf(a).any() or np.isinf(b).any():
        raise ValueError("outcomes contain infinite values; repair or drop those units first")
    d = a.mean() - b.mean()
    se = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
    z = stats.norm.ppf(0.5 + level / 2)
    p = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    return Effect(a.mean(), b.mean(), d, se, d - z * se, d + z * se, p, len(a), len(b))


def _ratio_and_variance(num, den):
    """Ratio of totals ``sum(num) / sum(den)`` over independent units (e.g. customers) and the
    delta-method variance of that ratio: ``sum((num_i - r den_i)^2) / (n (n - 1) mean(den)^2)``."""
    n = len(num)
    r = num.sum() / den.sum()
    e = num - r * den
    return float(r), float((e ** 2).sum() / (n * (n - 1)) / den.mean() ** 2)


def difference_in_ratios(num_treated, den_treated, num_control, den_control, level: float = 0.95) -> Effect:
    """Difference of two ratio metrics with the randomised unit as the unit of analysis.

    When customers are randomised but the metric is per visit (conversions / visits) or per
    order (items / orders), a customer's visits are not independent: the same customer tends
    to buy, or not, on each of them. Treating visits as independent understates the standard
    error. Here each arm's metric is the ratio of customer totals,
    ``r = sum_i num_i / sum_i den_i``, and its variance is the delta-method (linearisation)
    variance over customers, ``sum_i (num_i - r den_i)^2 / (n (n - 1) dbar^2)`` with ``dbar``
    the mean of ``den`` (the cluster-robust standard error of a ratio estimator). With one
    visit per customer it is the usual per-visit variance (times n / (n - 1)).

    Parameters
    ----------
    num_treated, den_treated : array-like, shape (n_t,)
        Per treated customer: the numerator total (e.g. conversions) and the denominator total
        (e.g. visits, each > 0).
    num_control, den_control : array-like, shape (n_c,)
        The same for the control customers.
    level : float in (0, 1)

    Returns
    -------
    Effect
        treated_mean and control_mean are the two ratios; n_treated and n_control count
        customers (clusters), not visits.

    Examples
    --------
    >>> e = difference_in_ratios([1, 2], [2, 2], [0, 1], [1, 3])
    >>> round(e.diff, 4), e.n_treated
    (0.5, 2)
    """
    level = _check_level(level)
    arms = []
    for arm, num, den in (("treated", num_treated, den_treated), ("control", num_control, den_control)):
        num, den = as_vector(num, f"num_{arm}"), as_vector(den, f"den_{arm}")
        if len(num) != len(den):
            raise ValueError(f"num_{arm} and den_{arm} must have one value per customer, got {len(num)} and {len(den)}")
        if len(num) < 2:
            raise ValueError(f"need at least 2 customers per arm, got {len(num)} {arm}")
        if not (np.isfinite(num).all() and np.isfinite(den).all()):
            raise ValueError(f"num_{arm} and den_{arm} must be finite; repair or drop those customers first")
        if (den <= 0).any():
            raise ValueError(f"den_{arm} must be > 0 for every customer (a customer with no visit is not in "
                             "a per-visit metric); drop those customers")
        arms.append(_ratio_and_variance(num, den) + (len(num),))
    (rt, vt, nt), (rc, vc, nc) = arms
    d = rt - rc
    se = float(np.sqrt(vt + vc))
    z = stats.norm.ppf(0.5 + level / 2)
    p = float(2 * stats.norm.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    return Effect(rt, rc, d, se, d - z * se, d + z * se, p, nt, nc)


def two_proportion_ztest(x_treated: int, n_treated: int, x_control: int, n_control: int) -> tuple[float, float]:
    """Pooled two-proportion z-test. Returns (z, two-sided p-value).

    Raises
    ------
    ValueError
        A count that is NaN, negative, or larger than its number of units.
    """
    for name, v in (("x_treated", x_treated), ("n_treated", n_treated), ("x_control", x_control),
                    ("n_control", n_control)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {v!r}")
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite, got {v}")
    for name, v in (("n_treated", n_treated), ("n_control", n_control)):
        if v <= 0:
            raise ValueError(f"{name} must be > 0, got {v}")
    for x, n, arm in ((x_treated, n_treated, "treated"), (x_control, n_control, "control")):
        if not 0 <= x <= n:
            raise ValueError(f"x_{arm} must be between 0 and n_{arm} = {n} (successes among units), got {x}")
    p1, p2 = x_treated / n_treated, x_control / n_control
    p = (x_treated + x_control) / (n_treated + n_control)
    se = np.sqrt(p * (1 - p) * (1 / n_treated + 1 / n_control))
    if se == 0:
        return 0.0, 1.0
    z = (p1 - p2) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def sample_size_two_proportions(p_control: float, relative_lift: float, alpha: float = 0.05,
                                power: float = 0.8) -> int:
    """Units per arm to detect ``p_control * (1 + relative_lift)`` vs ``p_control``.

    Normal approximation, two-sided test at level ``alpha``:
    ``n = (z_{1-a/2} sqrt(2 p_bar q_bar) + z_{power} sqrt(p1 q1 + p2 q2))^2 / (p2 - p1)^2``.
    """
    alpha, power = _check_level(alpha, "alpha", 0.05), _check_level(power, "power", 0.8)
    if not 0 < p_control < 1:
        raise ValueError(f"p_control must be in (0, 1), got {p_control}")
    p2 = p_control * (1 + relative_lift)
    if not 0 < p2 < 1 or relative_lift == 0:
        raise ValueError(f"the treated rate {p2} must be in (0, 1) and differ from p_control")
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p_control + p2) / 2
    num = za * np.sqrt(2 * pbar * (1 - pbar)) + zb * np.sqrt(p_control * (1 - p_control) + p2 * (1 - p2))
    return int(np.ceil(num ** 2 / (p2 - p_control) ** 2))


# --------------------------------------------------------------------------- uplift evaluation


def _check_uplift_inputs(y, t, score):
    y, t, score = as_vector(y, "y"), as_vector(t, "t"), as_vector(score, "score")
    if not (len(y) == len(t) == len(score)):
        raise ValueError(f"y, t and score must have the same length, got {len(y)}, {len(t)}, {len(score)}")
    if not np.isin(t, (0, 1)).all():
        bad = np.unique(t[~np.isin(t, (0, 1))])[:5]
        raise ValueError(f"t must be 0 (control) or 1 (treated); found {bad.tolist()}. Map the arms first, "
                         "e.g. t = (segment == 'Mens E-Mail').astype(int)")
    if t.sum() == 0 or t.sum() == len(t):
        raise ValueError("need both treated and control units")
    if np.isnan(y).any() or np.isnan(score).any():
        raise ValueError("y or score contains NaN")
    if np.isinf(y).any():
        raise ValueError("y contains infinite values; repair or drop those units first")
    return y, t, score


def _cumulative_arms(y, t, score):
    """Units sorted by score (best first, stable): cumulative treated and control counts
    and responders, each shape (n,)."""
    y, t, score = _check_uplift_inputs(y, t, score)
    order = np.argsort(-score, kind="stable")
    y, t = y[order], t[order]
    return np.cumsum(t), np.cumsum(1 - t), np.cumsum(y * t), np.cumsum(y * (1 - t))


def qini_curve(y, t, score) -> pd.DataFrame:
    """Qini curve: extra responders from treating the top-n units by ``score``.

    ``Q(n) = Y_t(n) - Y_c(n) * N_t(n) / N_c(n)`` where ``Y_t(n)``, ``N_t(n)`` are the treated
    responders and treated units among the top n (likewise control; ``Q = Y_t(n)`` while the
    top n hold no control unit). Ties in ``score`` are broken by order of appearance.

    Returns
    -------
    DataFrame, shape (n + 1, 3)
        n (0..N), fraction (n / N), qini (Q(n)); the random-targeting line is
        ``fraction * Q(N)``.
    """
    nt, nc, yt, yc = _cumulative_arms(y, t, score)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(nc > 0, yt - yc * nt / nc, yt)
    n = np.arange(len(nt) + 1)
    return pd.DataFrame({"n": n, "fraction": n / len(nt), "qini": np.concatenate([[0.0], q])})


def perfect_qini_curve(y, t) -> pd.DataFrame:
    """The optimal Qini curve for these outcomes (Radcliffe 2007): the Qini curve of the
    ordering treated responders, then non-responders, then control responders (score
    ``y t - y (1 - t)``). It rises as fast as any ranking can, and falls only at the end, where
    the control responders (who would respond anyway, or only without the e-mail) are added.
    scikit-uplift's ``perfect_qini_curve(negative_effect=True)`` is the same curve.

    Returns
    -------
    DataFrame, shape (n + 1, 3): n, fraction, qini
    """
    y, t, _ = _check_uplift_inputs(y, t, np.zeros(len(np.atleast_1d(y))))
    return qini_curve(y, t, y * t - y * (1 - t))


def _area_over_random(c: pd.DataFrame) -> float:
    """Area between a Qini curve and its random line, trapezoids over the targeted fraction."""
    gain = c["qini"] - c["fraction"] * c["qini"].iloc[-1]
    return float(np.trapezoid(gain, c["fraction"]))


def _normalised_qini(y, t, score) -> float:
    """Qini coefficient on checked inputs; NaN when the optimal curve has no area."""
    best = _area_over_random(qini_curve(y, t, y * t - y * (1 - t)))
    if not best > 0:
        return float("nan")
    return _area_over_random(qini_curve(y, t, score)) / best


def qini_coefficient(y, t, score) -> float:
    """Radcliffe's (2007) Qini coefficient: the area between the model's Qini curve and the
    random-targeting line, divided by the same area for the optimal curve
    (:func:`perfect_qini_curve`).

    1 for a ranking as good as the optimal one, about 0 for random targeting, negative for a
    ranking worse than random. This is the normalisation of scikit-uplift's ``qini_auc_score``
    (with ``negative_effect=True``); ties in ``score`` are broken by order of appearance.

    Raises
    ------
    ValueError
        When the optimal curve has no area above the random line (e.g. no responder at all):
        then no ranking can be judged.
    """
    y, t, score = _check_uplift_inputs(y, t, score)
    q = _normalised_qini(y, t, score)
    if np.isnan(q):
        raise ValueError("the optimal Qini curve has no area above the random line (no responders among the "
                         "treated, or all responses in the control arm); the Qini coefficient is undefined")
    return q


def uplift_curve(y, t, score) -> pd.DataFrame:
    """Uplift curve: ``U(n) = (Y_t(n) / N_t(n) - Y_c(n) / N_c(n)) * n`` for the top-n units.

    The response-rate difference among the top n, scaled to n units (0 while the top n lack
    one of the arms). Unlike the Qini curve it rescales both arms to n; the two agree when
    the arms are balanced.

    Returns
    -------
    DataFrame, shape (n + 1, 3): n, fraction, uplift
    """
    nt, nc, yt, yc = _cumulative_arms(y, t, score)
    n = np.arange(1, len(nt) + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where((nt > 0) & (nc > 0), (yt / nt - yc / nc) * n, 0.0)
    n0 = np.arange(len(nt) + 1)
    return pd.DataFrame({"n": n0, "fraction": n0 / len(nt), "uplift": np.concatenate([[0.0], u])})


def auuc(y, t, score) -> float:
    """Area under the uplift curve minus the random-targeting line, per unit (AUUC gain)."""
    c = uplift_curve(y, t, score)
    gain = c["uplift"] - c["fraction"] * c["uplift"].iloc[-1]
    return float(np.trapezoid(gain, c["fraction"]) / (len(c) - 1))


def uplift_at(y, t, score, fraction: float) -> float:
    """Response rate of treated minus control among the top ``fraction`` by score."""
    y, t, score = _check_uplift_inputs(y, t, score)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    top = np.argsort(-score, kind="stable")[: max(1, int(round(fraction * len(y))))]
    yt, tt = y[top], t[top]
    if tt.sum() == 0 or tt.sum() == len(tt):
        raise ValueError(f"the top {fraction:.0%} holds only one arm; use a larger fraction")
    return float(yt[tt == 1].mean() - yt[tt == 0].mean())


def bootstrap_qini(y, t, score, n_boot: int = 200, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Qini coefficient (:func:`qini_coefficient`) and a percentile bootstrap interval
    (resampling units; resamples without both arms or without an optimal-curve area are
    skipped)."""
    y, t, score = _check_uplift_inputs(y, t, score)
    level = _check_level(level)
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive whole number of resamples, e.g. 200, got {n_boot!r}")
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        if 0 < t[i].sum() < len(i):
            q = _normalised_qini(y[i], t[i], score[i])
            if np.isfinite(q):
                vals.append(q)
    if not vals:
        raise ValueError(f"none of the {n_boot} resamples held both arms; use more units or more resamples")
    a = (1 - level) / 2
    return qini_coefficient(y, t, score), float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


# --------------------------------------------------------------------------- uplift models


def _check_arms(X, t, y):
    """Features, 0/1 treatment and 0/1 outcome of equal length (the uplift models are binary)."""
    X, t, y = np.asarray(X), as_vector(t, "t"), as_vector(y, "y")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (units x features), got shape {X.shape}; e.g. X.reshape(-1, 1)")
    if not (len(X) == len(t) == len(y)):
        raise ValueError(f"X, t and y must have the same length, got {len(X)}, {len(t)}, {len(y)}")
    if not (np.isin(t, (0, 1)).all() and 0 < t.sum() < len(t)):
        raise ValueError("t must be 0 (control) or 1 (treated), with both arms present")
    if not np.isin(y, (0, 1)).all():
        bad = np.unique(y[~np.isin(y, (0, 1))])[:5]
        raise ValueError(f"y must be a 0/1 response (these uplift models predict a probability); found "
                         f"{bad.tolist()}. Use e.g. y = (spend > 0).astype(int)")
    return X, t.astype(int), y.astype(int)


def _check_whole(v, name: str, low: int) -> None:
    """A whole number (int, not bool or float) >= low."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number (int), got {v!r}")
    if v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")


def _classifier(estimator, *, sample_weight: bool = False):
    """A fresh clone of the wrapped ``estimator`` (a scikit-learn classifier with ``fit`` and
    ``predict_proba``); None means chapter 6.2's ``LogisticRegression(max_iter=1000)``."""
    if estimator is None:
        return LogisticRegression(max_iter=1000)
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba") and hasattr(estimator, "get_params")):
        raise TypeError(f"estimator must be a scikit-learn classifier with fit and predict_proba (e.g. "
                        f"LogisticRegression(max_iter=1000)), got {estimator!r}")
    if sample_weight:
        if "sample_weight" not in inspect.signature(estimator.fit).parameters:
            raise TypeError(f"estimator {type(estimator).__name__} cannot take sample_weight in fit, which "
                            "ClassTransformation needs to balance the arms; use e.g. LogisticRegression")
    return clone(estimator)


class TLearner(BaseEstimator):
    """Two-model uplift: one classifier on treated units, one on control; uplift is the
    difference of their predicted probabilities.

    ``fit(X, t, y)``: features (units x features), treatment (0 control / 1 treated) and a
    0/1 response of a randomised experiment; ``predict(X)``: the uplift of each unit.

    Parameters
    ----------
    estimator : scikit-learn classifier with ``predict_proba``, optional
        A template: cloned twice in ``fit`` (never fitted in place). Default None:
        ``LogisticRegression(max_iter=1000)``, chapter 6.2's choice.

    Attributes
    ----------
    treated_, control_ : fitted clones of ``estimator``
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, t, y) -> "TLearner":
        """Fit one clone of ``estimator`` per arm; returns ``self``."""
        template = _classifier(self.estimator)
        X, t, y = _check_arms(X, t, y)
        self.treated_ = clone(template).fit(X[t == 1], y[t == 1])
        self.control_ = clone(template).fit(X[t == 0], y[t == 0])
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted uplift P(y=1 | treated, x) - P(y=1 | control, x), shape (n,)."""
        _check_fitted(self, "treated_")
        return self.treated_.predict_proba(X)[:, 1] - self.control_.predict_proba(X)[:, 1]


class ClassTransformation(BaseEstimator):
    """Class-variable transformation (Jaskowski & Jaroszewicz, 2012), general propensity.

    With treatment probability ``p``, ``Z = y t / p - y (1 - t) / (1 - p)`` has
    ``E[Z | x] = uplift(x)``; for ``p = 1/2`` this is ``2 P(W = 1 | x) - 1`` with
    ``W = y t + (1 - y)(1 - t)``, which a classifier learns. Here the classifier learns W with
    sample weights that make the two arms count as if ``p = 1/2``.

    ``fit(X, t, y)`` as :class:`TLearner`'s.

    Parameters
    ----------
    estimator : scikit-learn classifier with ``predict_proba`` and ``sample_weight`` in fit, optional
        A template: cloned in ``fit`` (never fitted in place). Default None:
        ``LogisticRegression(max_iter=1000)``, chapter 6.2's choice.

    Attributes
    ----------
    model_ : fitted clone of ``estimator``
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, t, y) -> "ClassTransformation":
        """Fit one clone of ``estimator`` on the transformed class; returns ``self``."""
        model = _classifier(self.estimator, sample_weight=True)
        X, t, y = _check_arms(X, t, y)
        p = t.mean()
        w = np.where(t == 1, 0.5 / p, 0.5 / (1 - p))
        W = (y * t + (1 - y) * (1 - t)).astype(int)
        self.model_ = model.fit(X, W, sample_weight=w)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted uplift ``2 P(W = 1 | x) - 1``, shape (n,)."""
        _check_fitted(self, "model_")
        return 2 * self.model_.predict_proba(X)[:, 1] - 1


class KerasUplift(BaseEstimator):
    """A two-headed Keras network: a shared trunk, one sigmoid head per arm.

    Each unit's loss uses only the head of the arm it was in; uplift = treated head -
    control head. ``fit(X, t, y)`` as :class:`TLearner`'s.

    Parameters
    ----------
    hidden : sequence of int, default (32, 16)
        Widths of the shared ReLU layers.
    epochs : int, default 8
        Chapter 6.2's choice.
    batch_size : int, default 512
    learning_rate : float, default 1e-3
    seed : int, default 0

    Attributes
    ----------
    model_ : keras.Model
        Features -> [P(y=1 | control), P(y=1 | treated)].
    history_ : DataFrame indexed by "epoch" (from 1): loss, seconds
    """

    def __init__(self, hidden=(32, 16), epochs: int = 8, batch_size: int = 512,
                 learning_rate: float = 1e-3, seed: int = 0):
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed

    def _check_params(self):
        for name, low in (("epochs", 1), ("batch_size", 1), ("seed", 0)):
            _check_whole(getattr(self, name), name, low)
        lr = self.learning_rate
        if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, (int, float, np.integer, np.floating)):
            raise TypeError(f"learning_rate must be a positive number, got {lr!r}")
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning_rate must be a positive number, got {lr!r}")
        if isinstance(self.hidden, (str, bytes)) or not np.iterable(self.hidden):
            raise TypeError(f"hidden must be a sequence of layer widths, e.g. (32, 16), got {self.hidden!r}")
        for w in self.hidden:
            _check_whole(w, "hidden (each layer width)", 1)

    def fit(self, X, t, y) -> "KerasUplift":
        """Train the network from scratch (seeded); returns ``self``."""
        from .repro import import_tensorflow

        self._check_params()
        X, t, y = _check_arms(X, t, y)  # before importing TensorFlow: bad input fails fast
        X = np.asarray(X, dtype=np.float32)
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values; impute or drop them first")
        import_tensorflow()
        import keras

        t = np.asarray(t, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32)
        keras.utils.set_random_seed(self.seed)
        inp = keras.Input((X.shape[1],))
        arm = keras.Input((1,))
        h = inp
        for w in self.hidden:
            h = keras.layers.Dense(int(w), activation="relu")(h)
        heads = keras.layers.Dense(2, activation="sigmoid", name="heads")(h)  # [control, treated]
        chosen = keras.ops.sum(heads * keras.ops.concatenate([1 - arm, arm], axis=1), axis=1, keepdims=True)
        train_model = keras.Model([inp, arm], chosen)
        self.model_ = keras.Model(inp, heads)
        train_model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="binary_crossentropy")
        timer = epoch_timer(keras)
        h = train_model.fit([X, t[:, None]], y[:, None], epochs=self.epochs, batch_size=self.batch_size,
                            verbose=0, shuffle=True, callbacks=[timer])
        self.history_ = history_frame(h.history, timer.seconds)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted uplift (treated head - control head), shape (n,)."""
        _check_fitted(self, "model_")
        p = np.asarray(self.model_.predict(np.asarray(X, dtype=np.float32), batch_size=4096, verbose=0))
        return p[:, 1] - p[:, 0]


def _check_fitted(model, attribute: str) -> None:
    if not hasattr(model, attribute):
        raise NotFittedError(f"This {type(model).__name__} is not fitted yet; call fit(X, t, y) before predict")


# --------------------------------------------------------------------------- targeting


def targeting_table(y, t, score, fractions=(0.1, 0.2, 0.3, 0.5, 1.0), cost_per_email: float = 0.10,
                    value_per_response: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """Incremental responses per 1,000 e-mails and return when e-mailing the top x% by score.

    For each fraction x, the uplift among the top x% (treated minus control response rate,
    measured on the randomised experiment) is the extra responses per e-mail; random targeting
    of the same share is the overall uplift.

    Returns
    -------
    DataFrame
        fraction, uplift_per_1000 (model), random_per_1000, net_value_per_1000 (model:
        uplift x value - cost, per 1,000 e-mails).
    """
    y, t, score = _check_uplift_inputs(y, t, score)
    for name, v in (("cost_per_email", cost_per_email), ("value_per_response", value_per_response)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
            raise ValueError(f"{name} must be a finite number (in your currency), got {v!r}")
    overall = y[t == 1].mean() - y[t == 0].mean()
    rows = []
    for f in fractions:
        u = uplift_at(y, t, score, f)
        rows.append((f, 1000 * u, 1000 * overall, 1000 * (u * value_per_response - cost_per_email)))
    return pd.DataFrame(rows, columns=["fraction", "uplift_per_1000", "random_per_1000", "net_value_per_1000"])


def hillstrom_design(df: pd.DataFrame, treatment: str = "Mens E-Mail") -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Features and treatment flag for one e-mail vs no e-mail in the Hillstrom experiment.

    Returns
    -------
    X : ndarray, shape (n, d), float
        Standardised recency, log history, mens, womens, newbie, one-hot zip_code and channel.
    t : ndarray of int, shape (n,)
        1 for ``treatment``, 0 for "No E-Mail"; other arms are dropped.
    rows : DataFrame
        The kept rows (outcomes visit, conversion, spend).
    """
    missing = [c for c in ("segment", "recency", "history", "mens", "womens", "newbie", "zip_code",
                           "channel") if c not in df.columns]
    if missing:
        raise ValueError(f"the Hillstrom table lacks the columns {missing}; pass the frame that "
                         "retail_lab.datasets.load_hillstrom() returns")
    if treatment not in set(df["segment"].astype(str)):
        raise ValueError(f"unknown treatment {treatment!r}; arms are {sorted(set(df['segment'].astype(str)))}")
    d = df[df["segment"].astype(str).isin([treatment, "No E-Mail"])].reset_index(drop=True)
    if len(d) < 2:
        raise ValueError(f"need at least 2 customers in {treatment!r} and 'No E-Mail' together to "
                         f"standardise the features, got {len(d)}")
    num = pd.DataFrame({"recency": d["recency"].astype(float), "log_history": np.log1p(d["history"].astype(float))})
    num = (num - num.mean()) / num.std()
    cat = pd.get_dummies(d[["zip_code", "channel"]].astype(str), dtype=float)
    X = pd.concat([num, d[["mens", "womens", "newbie"]].astype(float), cat], axis=1).to_numpy(dtype=float)
    t = (d["segment"].astype(str) == treatment).to_numpy(dtype=int)
    if not np.isfinite(X).all():
        cols = list(pd.concat([num, d[["mens", "womens", "newbie"]].astype(float), cat], axis=1)
                    .columns[~np.isfinite(X).all(axis=0)])
        raise ValueError(f"the features {cols} have NaN or infinite values (missing inputs, or a constant "
                         "column that cannot be standardised); repair the rows first")
    return X, t, d


#: Chapter 6.2's uplift experiment: the e-mail arm compared with "No E-Mail", the outcome and
#: the held-out share of customers.
UPLIFT_ARM = "Mens E-Mail"
UPLIFT_OUTCOME = "visit"
UPLIFT_TEST_SIZE = 0.5


@dataclass(frozen=True)
class UpliftTask:
    """One train/test split of an e-mail arm against no e-mail (see :func:`uplift_task`)."""

    X: np.ndarray
    t: np.ndarray
    y: np.ndarray
    rows: pd.DataFrame
    train: np.ndarray
    test: np.ndarray
    treatment: str
    outcome: str
    test_size: float
    seed: int


def uplift_task(hill: pd.DataFrame, treatment: str = UPLIFT_ARM, outcome: str = UPLIFT_OUTCOME,
                test_size: float = UPLIFT_TEST_SIZE, seed: int = 0) -> UpliftTask:
    """Chapter 6.2's uplift task: features, treatment and outcome of one e-mail arm against no
    e-mail (:func:`hillstrom_design`), split into training and held-out customers, stratified
    by treatment (``sklearn.model_selection.train_test_split(random_state=seed)``).

    Parameters
    ----------
    hill : DataFrame
        ``retail_lab.datasets.load_hillstrom()``.
    treatment : str, default :data:`UPLIFT_ARM`
    outcome : {"visit", "conversion"}, default :data:`UPLIFT_OUTCOME`
    test_size : float in (0, 1), default :data:`UPLIFT_TEST_SIZE`
    seed : int, default 0
        Another seed gives another split: the same model judged on other customers.

    Returns
    -------
    UpliftTask
        X, t, y (all kept rows), rows, train and test (row positions), treatment, outcome,
        test_size, seed.
    """
    from sklearn.model_selection import train_test_split

    if outcome not in ("visit", "conversion"):
        raise ValueError(f"outcome must be 'visit' or 'conversion' (0/1 responses), got {outcome!r}")
    if isinstance(test_size, bool) or not isinstance(test_size, (float, np.floating)) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a share in (0, 1), e.g. 0.5, got {test_size!r}")
    _check_whole(seed, "seed", 0)
    X, t, rows = hillstrom_design(hill, treatment)
    y = rows[outcome].to_numpy(dtype=int)
    train, test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=int(seed), stratify=t)
    return UpliftTask(X, t, y, rows, train, test, treatment, outcome, float(test_size), int(seed))
