"""The article's data-to-deployment flow (section 2.4) as runnable stages.

collect -> process -> quality check -> [pass] features -> train -> evaluate -> deploy -> feedback

A :class:`Pipeline` runs named stages in order over a shared ``state`` dict. The quality
gate stops the run with a report when a threshold fails; later stages are then marked
``skipped`` and nothing downstream sees the bad data. :func:`repurchase_pipeline` builds the
book's concrete instance: predict which customers buy again within 90 days.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import as_date
from . import quality
from .schema import check_transactions
from .features import FEATURE_COLUMNS, line_revenue, repurchase_dataset

__all__ = [
    "ARTICLE_STAGES",
    "QualityGate",
    "QualityGateError",
    "Stage",
    "Pipeline",
    "PipelineRun",
    "Deployment",
    "repurchase_pipeline",
]

#: The article's stages, in its order (Chinese labels as in its flow chart).
ARTICLE_STAGES = (
    ("collect", "数据收集"),
    ("process", "数据处理"),
    ("quality_check", "数据质量检查"),
    ("features", "特征工程"),
    ("train", "模型训练"),
    ("evaluate", "模型评估"),
    ("deploy", "应用部署"),
    ("feedback", "效果反馈"),
)


def _pct(share: float) -> str:
    """A share as a percentage; tiny non-zero shares keep two significant digits."""
    if 0 < abs(share) < 0.00005:
        return f"{share * 100:.2g}%"
    return f"{share:.2%}"


class QualityGateError(RuntimeError):
    """The data failed the quality gate. ``.checks`` holds the per-rule verdicts."""

    def __init__(self, checks: pd.DataFrame):
        self.checks = checks
        failed = checks[~checks["passed"]]
        has_n = "n_failing" in checks.columns
        parts = [
            f"{r.rule} {r.share:,.0f} < {r.limit:,.0f} rows" if r.rule == "min_rows"
            else f"{r.rule} {_pct(r.share)} > limit {_pct(r.limit)}"
            + (f" ({int(r.n_failing):,} rows)" if has_n else "")
            for r in failed.itertuples()
        ]
        super().__init__(
            f"quality gate failed: {'; '.join(parts)}\n"
            "Fix the data source or, if a rule is too strict, raise its limit in "
            "QualityGate(max_share=...)."
        )


#: Default gate limits: the share of rows that may fail each rule (Online Retail passes).
#: A single row dated in the future or far after the rest stops the run: it means the
#: source's clock or export is broken, and label windows would run past the real data.
DEFAULT_LIMITS = {
    "unparseable_date": 0.001,
    "future_date": 0.0,
    "isolated_late_date": 0.0,
    "missing_customer_id": 0.30,
    "missing_value": 0.001,
    "duplicate_row": 0.02,
    "cancellation": 0.05,
    "cancelled_original": 0.05,
    "non_positive_quantity": 0.01,
    "non_integer_quantity": 0.001,
    "non_positive_price": 0.01,
    "absurd_price": 0.001,
    "non_product_stockcode": 0.02,
    "outlier_quantity": 0.001,
}


@dataclass
class QualityGate:
    """Thresholds a quality report must meet before data moves on.

    Parameters
    ----------
    max_share : mapping of rule name to float in [0, 1], optional
        Largest allowed share of rows failing each rule; unspecified rules use
        ``DEFAULT_LIMITS``; a rule absent from both is not gated. A name that is not a
        rule of the report is an error in :meth:`evaluate` (a typo must not switch a
        limit off silently).
    min_rows : int, default 1
        Fewest rows that must remain after cleaning (at least 1).
    """

    max_share: Mapping[str, float] = field(default_factory=dict)
    min_rows: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.max_share, Mapping):
            raise TypeError(
                f"max_share must be a mapping of rule name to share, e.g. "
                f"{{'missing_customer_id': 0.1}}, got {type(self.max_share).__name__}"
            )
        for k, v in self.max_share.items():
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
                raise TypeError(f"max_share[{k!r}] must be a number in [0, 1], got {v!r}")
            if not 0 <= v <= 1:
                raise ValueError(f"max_share[{k!r}] must be in [0, 1], got {v}")
        if (isinstance(self.min_rows, (bool, np.bool_))
                or not isinstance(self.min_rows, (int, np.integer)) or self.min_rows < 1):
            raise ValueError(f"min_rows must be an integer >= 1, got {self.min_rows!r}")
        self.limits = {**DEFAULT_LIMITS, **{k: float(v) for k, v in self.max_share.items()}}

    def evaluate(self, report: quality.QualityReport, n_clean: int) -> pd.DataFrame:
        """Per-rule verdicts: rule, share, limit, passed, n_failing (plus a ``min_rows`` row).

        Raises
        ------
        ValueError
            ``max_share`` names a rule the report does not have.
        """
        known = set(report.table["rule"])
        unknown = [k for k in self.max_share if k not in known]
        if unknown:
            raise ValueError(
                f"max_share names rule(s) {unknown} that the quality report does not have; "
                f"rules are {list(report.table['rule'])}"
            )
        rows = []
        for r in report.table.itertuples():
            if r.rule in self.limits:
                limit = self.limits[r.rule]
                rows.append((r.rule, float(r.share_failing), limit,
                             bool(r.share_failing <= limit), int(r.n_failing)))
        rows.append(("min_rows", float(n_clean), float(self.min_rows),
                     bool(n_clean >= self.min_rows), 0))
        return pd.DataFrame(rows, columns=["rule", "share", "limit", "passed", "n_failing"])


@dataclass(frozen=True)
class Stage:
    """A named step. ``run(state)`` updates ``state`` and returns a one-line summary."""

    name: str
    run: Callable[[dict], str]


@dataclass
class PipelineRun:
    """The outcome of :meth:`Pipeline.run`.

    Attributes
    ----------
    log : DataFrame
        One row per stage: stage, status (passed / failed / skipped), summary.
    state : dict
        Everything the stages produced (raw table, report, model, metrics, ...).
    stopped_at : str or None
        The stage that failed, or None when every stage passed.
    error : Exception or None
        What stopped the run.
    """

    log: pd.DataFrame
    state: dict
    stopped_at: str | None
    error: Exception | None

    @property
    def passed(self) -> bool:
        return self.stopped_at is None


class Pipeline:
    """Run stages in order; stop at the first failure and skip the rest.

    Parameters
    ----------
    stages : sequence of Stage
        Stage names must be unique.
    """

    def __init__(self, stages: Sequence[Stage]):
        stages = list(stages)
        bad = [s for s in stages if not isinstance(s, Stage)]
        if bad:
            raise TypeError(f"stages must be Stage objects, got {bad[:3]!r}; "
                            f"wrap each step as Stage(name, function)")
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique, got {names}")
        if not stages:
            raise ValueError("a pipeline needs at least one stage")
        self.stages = list(stages)

    def run(self, state: dict | None = None, *, raise_errors: bool = False) -> PipelineRun:
        """Execute the stages.

        Parameters
        ----------
        state : dict, optional
            Initial state (inputs for the first stage).
        raise_errors : bool, default False
            Re-raise a failing stage's exception after logging it.

        Returns
        -------
        PipelineRun
        """
        state = {} if state is None else state
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, got {type(state).__name__}")
        rows, stopped, error = [], None, None
        for stage in self.stages:
            if stopped is not None:
                rows.append((stage.name, "skipped", f"not run: {stopped} failed"))
                continue
            try:
                summary = stage.run(state)
                rows.append((stage.name, "passed", summary))
            except Exception as exc:
                stopped, error = stage.name, exc
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                rows.append((stage.name, "failed", first))
                if raise_errors:
                    raise
        log = pd.DataFrame(rows, columns=["stage", "status", "summary"])
        return PipelineRun(log=log, state=state, stopped_at=stopped, error=error)


@dataclass
class Deployment:
    """A trained model packaged for scoring, with the facts needed to audit it.

    Attributes
    ----------
    model : estimator with ``predict_proba``
    features : tuple of str
    trained_cutoff : Timestamp
    version : str
        First 12 hex digits of the SHA-256 of the pickled model.
    """

    model: object
    features: tuple[str, ...]
    trained_cutoff: pd.Timestamp
    version: str

    @classmethod
    def package(cls, model, features, cutoff) -> "Deployment":
        if not hasattr(model, "predict_proba"):
            raise TypeError(f"model must have predict_proba, got {type(model).__name__}")
        version = hashlib.sha256(pickle.dumps(model)).hexdigest()[:12]
        return cls(model, tuple(features), as_date(cutoff, "cutoff", "2011-06-01"), version)

    def score(self, X: pd.DataFrame) -> pd.Series:
        """Probability of repurchase per row of ``X`` (columns ``self.features``).

        Raises
        ------
        TypeError, ValueError
            ``X`` is not a DataFrame, misses a feature column, or has a non-numeric, missing
            or infinite feature value (the message names the column and the rows).
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"cannot score: X must be a DataFrame with columns "
                            f"{list(self.features)}, got {type(X).__name__}")
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ValueError(f"cannot score: feature column(s) {missing} are missing")
        F = X[list(self.features)]
        if not all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
                   for t in F.dtypes):
            bad = [c for c, t in F.dtypes.items() if not pd.api.types.is_numeric_dtype(t)
                   or pd.api.types.is_bool_dtype(t)]
            raise TypeError(f"cannot score: feature column(s) {bad} are not numeric")
        values = F.to_numpy(dtype=float, na_value=np.nan)
        bad_cells = ~np.isfinite(values)
        if bad_cells.any():
            cols = [c for c, b in zip(self.features, bad_cells.any(axis=0)) if b]
            rows = list(X.index[bad_cells.any(axis=1)][:5])
            raise ValueError(
                f"cannot score: feature column(s) {cols} have missing or infinite values "
                f"(rows {rows}{', ...' if bad_cells.any(axis=1).sum() > 5 else ''}); "
                f"recompute the features from clean data"
            )
        if len(F) == 0:
            return pd.Series([], index=X.index, name="p_repurchase", dtype=float)
        p = self.model.predict_proba(_transform(F))[:, 1]
        return pd.Series(p, index=X.index, name="p_repurchase")


def _transform(X: pd.DataFrame) -> np.ndarray:
    # heavy-tailed counts and money: log1p of the non-negative part
    return np.log1p(np.clip(X.to_numpy(dtype=float), 0, None))


#: A label window may hold no stretch without any row longer than this, or than the
#: longest such stretch before the window if that is longer (Online Retail: 11.7 days,
#: Christmas 2010). A longer one means the data stop inside the window: every customer
#: would be labelled "did not buy" there.
MIN_WINDOW_GAP_DAYS = 14


def _check_window(tx: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, what: str) -> None:
    """Raise ValueError unless rows cover the label window ``[start, end)`` to its end."""
    dates = tx["InvoiceDate"].dropna().sort_values()
    tz = getattr(tx["InvoiceDate"].dt, "tz", None)
    if (tz is None) != (start.tz is None):
        raise TypeError(
            f"{what}: the cutoff {start} and InvoiceDate (time zone {tz}) must both have a "
            f"time zone or both have none; e.g. convert the dates with "
            f"df['InvoiceDate'].dt.tz_convert(None) before the pipeline"
        )
    if dates.empty:
        raise ValueError(f"{what}: no dated rows left after cleaning")
    first, last = dates.iloc[0], dates.iloc[-1]
    day = pd.Timedelta(days=1)
    if last < end - day:
        raise ValueError(
            f"{what}: the label window ends {end:%Y-%m-%d}, after the data end "
            f"({last:%Y-%m-%d}); choose an earlier cutoff or shorter horizon"
        )
    if first >= start:
        raise ValueError(
            f"{what}: the data start {first:%Y-%m-%d}, not before the cutoff "
            f"{start:%Y-%m-%d}: there is no history to learn from; choose a later cutoff"
        )
    before = dates[dates < start]
    usual = before.diff().max() if len(before) > 1 else pd.Timedelta(0)
    allowed = max(pd.Timedelta(days=MIN_WINDOW_GAP_DAYS), usual if pd.notna(usual) else pd.Timedelta(0))
    inside = dates[(dates >= start) & (dates < end)]
    points = pd.Series([start, *inside.tolist(), end])
    gaps = points.diff().iloc[1:].reset_index(drop=True)
    k = int(gaps.to_numpy().argmax())
    if gaps.iloc[k] > allowed:
        a, b = points.iloc[k], points.iloc[k + 1]
        raise ValueError(
            f"{what}: no rows from {a:%Y-%m-%d} to {b:%Y-%m-%d} ({gaps.iloc[k] / day:.0f} days) "
            f"inside the label window {start:%Y-%m-%d} to {end:%Y-%m-%d}, longer than any "
            f"gap the data had before ({allowed / day:.0f} days): the data do not cover the "
            f"window, so its labels would be wrong; choose another cutoff or horizon, or "
            f"check the data source"
        )


def repurchase_pipeline(
    collect: Callable[[], pd.DataFrame],
    *,
    gate: QualityGate | None = None,
    cutoff: str = "2011-06-01",
    feedback_cutoff: str = "2011-09-01",
    horizon_days: int = 90,
    test_size: float = 0.25,
    seed: int = 0,
    as_of=None,
) -> Pipeline:
    """The article's eight stages on a real task: will a customer buy again in 90 days?

    Parameters
    ----------
    collect : callable returning DataFrame
        Produces raw transactions in the schema of :mod:`retail_lab.schema`, e.g.
        ``retail_lab.datasets.load_online_retail``, or another shop's table brought to
        it: ``lambda: standardize(read_my_shop(), columns={...})``.
    gate : QualityGate, optional
        Defaults to ``QualityGate()`` (``DEFAULT_LIMITS``; one future-dated row fails it).
    cutoff : str
        Features use data before it; labels come from the ``horizon_days`` after it.
    feedback_cutoff : str
        A later date at which the deployed model is scored again and compared with what
        customers then did (the feedback stage).
    horizon_days : int, default 90
    test_size : float, default 0.25
        Share of customers held out for evaluation (stratified), in (0, 1).
    seed : int, default 0
    as_of : date-like, optional
        Extraction date for the quality check (rows dated after it are future-dated);
        defaults to today. See :func:`retail_lab.quality.check`.

    Returns
    -------
    Pipeline
        Run it with ``.run()``; ``run.state`` then holds ``raw``, ``table``, ``quality``
        (a :class:`retail_lab.quality.CleanResult`), ``gate``, ``X``, ``y``, ``model``,
        ``metrics``, ``deployment`` and ``feedback``.

    Notes
    -----
    Both label windows (``cutoff`` and ``feedback_cutoff`` plus ``horizon_days``) must be
    covered by the cleaned data up to their end, without a stretch free of rows longer
    than ``MIN_WINDOW_GAP_DAYS`` (or the longest before the window); otherwise the stage
    fails instead of labelling customers from missing data.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not callable(collect):
        raise TypeError(f"collect must be a function returning a DataFrame (e.g. "
                        f"load_online_retail, or lambda: df), got {type(collect).__name__}")
    gate = QualityGate() if gate is None else gate
    if not isinstance(gate, QualityGate):
        raise TypeError(f"gate must be a QualityGate, e.g. QualityGate(max_share={{...}}), "
                        f"got {type(gate).__name__}")
    cut, fb_cut = as_date(cutoff, "cutoff", "2011-06-01"), as_date(feedback_cutoff, "feedback_cutoff", "2011-06-01")
    if fb_cut <= cut:
        raise ValueError("feedback_cutoff must be after cutoff")
    if (isinstance(horizon_days, (bool, np.bool_)) or not isinstance(horizon_days, (int, np.integer))
            or horizon_days < 1):
        raise ValueError(f"horizon_days must be a whole number of days >= 1, got {horizon_days!r}")
    if (isinstance(test_size, (bool, np.bool_)) or not isinstance(test_size, (int, float, np.number))
            or not 0 < test_size < 1):
        raise ValueError(f"test_size must be a share strictly between 0 and 1, got {test_size!r}")
    as_of = quality._as_of(as_of) if as_of is not None else None
    horizon = pd.Timedelta(days=int(horizon_days))

    def s_collect(st):
        raw = collect()
        if not isinstance(raw, pd.DataFrame):
            raise TypeError(f"collect() must return a DataFrame, got {type(raw).__name__}")
        st["raw"] = raw
        return f"{len(st['raw']):,} rows, {st['raw'].shape[1]} columns"

    def s_process(st):
        raw = st["raw"]
        if len(raw) == 0:
            raise ValueError("collect() returned no rows; check the data source (an empty "
                             "table cannot be checked, trained on or scored)")
        check_transactions(raw, what="collect()'s table")
        quality._validate(raw)  # the column types the quality rules need
        t = raw.copy()
        if not pd.api.types.is_datetime64_any_dtype(t["InvoiceDate"]):
            t["InvoiceDate"] = pd.to_datetime(t["InvoiceDate"], errors="coerce")
        t["StockCode"] = t["StockCode"].astype("string").str.strip()
        t["Revenue"] = line_revenue(t)
        st["table"] = t
        lo, hi = t["InvoiceDate"].min(), t["InvoiceDate"].max()
        span = (f"dates {lo:%Y-%m-%d} to {hi:%Y-%m-%d}" if pd.notna(lo)
                else "no valid date (the quality gate will report it)")
        return f"typed; {span}; line revenue added"

    def s_quality(st):
        res = quality.clean(st["table"], as_of=as_of)
        st["quality"] = res
        checks = gate.evaluate(res.report, len(res.clean))
        st["gate"] = checks
        if not checks["passed"].all():
            raise QualityGateError(checks)
        return f"gate passed; {res.summary()}"

    def s_features(st):
        tx = st["quality"].clean
        _check_window(tx, cut, cut + horizon, "features")
        X, y = repurchase_dataset(tx, cutoff, horizon_days, log=False)  # logs are taken in _transform
        if y.nunique() < 2:
            raise ValueError("labels have a single class; choose another cutoff or horizon")
        counts = y.value_counts()
        if counts.min() < 2:
            raise ValueError(
                f"too few customers to split: {counts.to_dict()} per class, each class needs "
                f"at least 2; use more data or another cutoff"
            )
        st["X"], st["y"] = X, y
        return (f"{len(X):,} customers with purchases before {cutoff}; "
                f"{y.mean():.1%} buy again within {horizon_days} days")

    def s_train(st):
        X, y = st["X"], st["y"]
        try:
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=test_size, stratify=y, random_state=seed
            )
        except ValueError as exc:
            raise ValueError(f"cannot hold out {test_size:.0%} of {len(X)} customers with both "
                             f"classes in each part ({exc}); use more data or another "
                             f"test_size") from exc
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(_transform(Xtr), ytr)
        st.update(model=model, split=(Xtr, Xte, ytr, yte))
        return f"logistic regression on log1p features; {len(Xtr):,} train / {len(Xte):,} test customers"

    def s_evaluate(st):
        _, Xte, _, yte = st["split"]
        if yte.nunique() < 2:
            raise ValueError("the test customers are all of one class, so AUC is undefined; "
                             "use more data or a larger test_size")
        p = st["model"].predict_proba(_transform(Xte))[:, 1]
        m = {
            "auc": roc_auc_score(yte, p),
            "auc_recency_only": roc_auc_score(yte, -Xte["recency_days"]),
            "brier": brier_score_loss(yte, p),
            "brier_base_rate": brier_score_loss(yte, np.full(len(yte), st["y"].mean())),
            "base_rate": float(yte.mean()),
        }
        st["metrics"] = m
        return (f"test AUC {m['auc']:.3f} (recency alone {m['auc_recency_only']:.3f}); "
                f"Brier {m['brier']:.3f} vs {m['brier_base_rate']:.3f} for the base rate")

    def s_deploy(st):
        st["deployment"] = Deployment.package(st["model"], FEATURE_COLUMNS, cutoff)
        return f"model version {st['deployment'].version} packaged for scoring"

    def s_feedback(st):
        tx = st["quality"].clean
        dep = st["deployment"]
        _check_window(tx, fb_cut, fb_cut + horizon, "feedback")
        X2, y2 = repurchase_dataset(tx, feedback_cutoff, horizon_days, log=False)
        if y2.nunique() < 2:
            raise ValueError(f"at {feedback_cutoff} every customer has the same label, so AUC "
                             f"is undefined; choose another feedback_cutoff")
        p = dep.score(X2)
        fb = {
            "auc": roc_auc_score(y2, p),
            "predicted_rate": float(p.mean()),
            "actual_rate": float(y2.mean()),
            "customers": len(X2),
        }
        st["feedback"] = fb
        return (f"at {feedback_cutoff}: AUC {fb['auc']:.3f} on {fb['customers']:,} customers; "
                f"predicted rate {fb['predicted_rate']:.1%} vs actual {fb['actual_rate']:.1%}")

    funcs = [s_collect, s_process, s_quality, s_features, s_train, s_evaluate, s_deploy, s_feedback]
    return Pipeline([Stage(name, f) for (name, _), f in zip(ARTICLE_STAGES, funcs)])
