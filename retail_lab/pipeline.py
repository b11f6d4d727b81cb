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

from . import quality
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


class QualityGateError(RuntimeError):
    """The data failed the quality gate. ``.checks`` holds the per-rule verdicts."""

    def __init__(self, checks: pd.DataFrame):
        self.checks = checks
        failed = checks[~checks["passed"]]
        parts = [
            f"{r.rule} {r.share:,.0f} < {r.limit:,.0f} rows" if r.rule == "min_rows"
            else f"{r.rule} {r.share:.2%} > limit {r.limit:.2%}"
            for r in failed.itertuples()
        ]
        super().__init__(
            f"quality gate failed: {'; '.join(parts)}\n"
            "Fix the data source or, if a rule is too strict, raise its limit in "
            "QualityGate(max_share=...)."
        )


#: Default gate limits: the share of rows that may fail each rule (Online Retail passes).
DEFAULT_LIMITS = {
    "unparseable_date": 0.001,
    "missing_customer_id": 0.30,
    "duplicate_row": 0.02,
    "cancellation": 0.05,
    "cancelled_original": 0.05,
    "non_positive_quantity": 0.01,
    "non_positive_price": 0.01,
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
        ``DEFAULT_LIMITS``; a rule absent from both is not gated.
    min_rows : int, default 1
        Fewest rows that must remain after cleaning.
    """

    max_share: Mapping[str, float] = field(default_factory=dict)
    min_rows: int = 1

    def __post_init__(self) -> None:
        for k, v in self.max_share.items():
            if not 0 <= v <= 1:
                raise ValueError(f"max_share[{k!r}] must be in [0, 1], got {v}")
        self.limits = {**DEFAULT_LIMITS, **dict(self.max_share)}

    def evaluate(self, report: quality.QualityReport, n_clean: int) -> pd.DataFrame:
        """Per-rule verdicts: rule, share, limit, passed (plus a ``min_rows`` row)."""
        rows = []
        for r in report.table.itertuples():
            if r.rule in self.limits:
                limit = self.limits[r.rule]
                rows.append((r.rule, float(r.share_failing), limit, r.share_failing <= limit))
        rows.append(("min_rows", float(n_clean), float(self.min_rows), n_clean >= self.min_rows))
        return pd.DataFrame(rows, columns=["rule", "share", "limit", "passed"])


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
        version = hashlib.sha256(pickle.dumps(model)).hexdigest()[:12]
        return cls(model, tuple(features), pd.Timestamp(cutoff), version)

    def score(self, X: pd.DataFrame) -> pd.Series:
        """Probability of repurchase per row of ``X`` (columns ``self.features``)."""
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ValueError(f"cannot score: feature column(s) {missing} are missing")
        p = self.model.predict_proba(_transform(X[list(self.features)]))[:, 1]
        return pd.Series(p, index=X.index, name="p_repurchase")


def _transform(X: pd.DataFrame) -> np.ndarray:
    # heavy-tailed counts and money: log1p of the non-negative part
    return np.log1p(np.clip(X.to_numpy(dtype=float), 0, None))


def repurchase_pipeline(
    collect: Callable[[], pd.DataFrame],
    *,
    gate: QualityGate | None = None,
    cutoff: str = "2011-06-01",
    feedback_cutoff: str = "2011-09-01",
    horizon_days: int = 90,
    test_size: float = 0.25,
    seed: int = 0,
) -> Pipeline:
    """The article's eight stages on a real task: will a customer buy again in 90 days?

    Parameters
    ----------
    collect : callable returning DataFrame
        Produces raw transactions in the Online Retail schema, e.g.
        ``retail_lab.datasets.load_online_retail``.
    gate : QualityGate, optional
        Defaults to ``QualityGate()`` (``DEFAULT_LIMITS``).
    cutoff : str
        Features use data before it; labels come from the ``horizon_days`` after it.
    feedback_cutoff : str
        A later date at which the deployed model is scored again and compared with what
        customers then did (the feedback stage).
    horizon_days : int, default 90
    test_size : float, default 0.25
        Share of customers held out for evaluation (stratified).
    seed : int, default 0

    Returns
    -------
    Pipeline
        Run it with ``.run()``; ``run.state`` then holds ``raw``, ``table``, ``quality``
        (a :class:`retail_lab.quality.CleanResult`), ``gate``, ``X``, ``y``, ``model``,
        ``metrics``, ``deployment`` and ``feedback``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    gate = gate or QualityGate()
    if pd.Timestamp(feedback_cutoff) <= pd.Timestamp(cutoff):
        raise ValueError("feedback_cutoff must be after cutoff")

    def s_collect(st):
        st["raw"] = collect()
        return f"{len(st['raw']):,} rows, {st['raw'].shape[1]} columns"

    def s_process(st):
        t = st["raw"].copy()
        if not pd.api.types.is_datetime64_any_dtype(t["InvoiceDate"]):
            t["InvoiceDate"] = pd.to_datetime(t["InvoiceDate"], errors="coerce")
        t["StockCode"] = t["StockCode"].astype("string").str.strip()
        t["Revenue"] = line_revenue(t)
        st["table"] = t
        return (f"typed; dates {t['InvoiceDate'].min():%Y-%m-%d} to "
                f"{t['InvoiceDate'].max():%Y-%m-%d}; line revenue added")

    def s_quality(st):
        res = quality.clean(st["table"])
        st["quality"] = res
        checks = gate.evaluate(res.report, len(res.clean))
        st["gate"] = checks
        if not checks["passed"].all():
            raise QualityGateError(checks)
        return f"gate passed; {res.summary()}"

    def s_features(st):
        tx = st["quality"].clean
        X, y = repurchase_dataset(tx, cutoff, horizon_days, log=False)  # logs are taken in _transform
        if y.nunique() < 2:
            raise ValueError("labels have a single class; choose another cutoff or horizon")
        st["X"], st["y"] = X, y
        return (f"{len(X):,} customers with purchases before {cutoff}; "
                f"{y.mean():.1%} buy again within {horizon_days} days")

    def s_train(st):
        X, y = st["X"], st["y"]
        Xtr, Xte, ytr, yte = train_test_split(
            X, y, test_size=test_size, stratify=y, random_state=seed
        )
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(_transform(Xtr), ytr)
        st.update(model=model, split=(Xtr, Xte, ytr, yte))
        return f"logistic regression on log1p features; {len(Xtr):,} train / {len(Xte):,} test customers"

    def s_evaluate(st):
        _, Xte, _, yte = st["split"]
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
        X2, y2 = repurchase_dataset(tx, feedback_cutoff, horizon_days, log=False)
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
