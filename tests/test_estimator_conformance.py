"""Every model class in ``retail_lab`` follows one convention: scikit-learn's.

``__init__`` stores hyperparameters and nothing else, ``fit`` validates them and the data,
sets fitted attributes with a trailing underscore and returns ``self``; an unfitted model
says so (``NotFittedError``); ``clone``/``get_params`` work, so models can be copied and
grid-searched; a seed gives the same model twice; ``history_`` is a DataFrame with one row per
epoch. In the spirit of scikit-learn's ``parametrize_with_checks``; the cases live in
``tests/estimator_cases/`` (one module per domain) and the test fails when an estimator
class has no case.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

import retail_lab
from estimator_cases import Case

# Abstract bases: they define the interface, their subclasses are the estimators.
BASES = {"retail_lab.recsys.models.Recommender", "retail_lab.recsys.neural.KerasRecommender"}


def _domain_cases() -> list[Case]:
    import estimator_cases

    cases = []
    for info in pkgutil.iter_modules(estimator_cases.__path__):
        mod = importlib.import_module(f"estimator_cases.{info.name}")
        cases.extend(getattr(mod, "CASES", []))
    return cases


CASES = _domain_cases()


def _qualname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _estimator_classes() -> set[str]:
    """Every public class defined in retail_lab that has a ``fit`` method."""
    found = set()
    for info in pkgutil.walk_packages(retail_lab.__path__, "retail_lab."):
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and obj.__module__ == mod.__name__
                    and not name.startswith("_") and callable(getattr(obj, "fit", None))):
                found.add(_qualname(obj))
    return found


def test_every_estimator_has_a_case():
    covered = {_qualname(c.cls) for c in CASES}
    missing = sorted(_estimator_classes() - covered - BASES)
    assert not missing, f"estimator classes without a conformance case: {missing}"


def _same(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, (tuple, list)) and a and not np.isscalar(a[0]):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _fitted_attrs(est) -> list[str]:
    return [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


ids = [c.id for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_is_a_base_estimator(case):
    assert issubclass(case.cls, BaseEstimator), f"{case.id} must derive from sklearn BaseEstimator"


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_init_only_stores_parameters(case):
    est = case.make()
    params = est.get_params(deep=False)
    assert set(vars(est)) == set(params), (
        f"{case.id}.__init__ must set exactly its parameters: extra "
        f"{sorted(set(vars(est)) - set(params))}, missing {sorted(set(params) - set(vars(est)))}")
    for k, v in case.params.items():
        assert params[k] is v, f"{case.id}.__init__ must store {k} unmodified"
    assert not _fitted_attrs(est)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_clone_round_trip(case):
    est = case.make()
    twin = clone(est)
    assert type(twin) is type(est)
    assert repr(twin) == repr(est)
    assert set(twin.get_params(deep=False)) == set(est.get_params(deep=False))
    # set_params with the same values is a no-op
    twin.set_params(**est.get_params(deep=False))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_unfitted_use_raises(case):
    est = case.make()
    with pytest.raises(NotFittedError, match="fit"):
        case.unfitted(est)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_fit_returns_self_and_is_reproducible(case):
    est = case.make()
    assert case.fit(est) is est, f"{case.id}.fit must return self"
    assert _fitted_attrs(est), f"{case.id}.fit sets no fitted attribute (trailing underscore)"
    first = case.output(est)
    # a clone of a fitted model is unfitted
    twin = clone(est)
    assert not _fitted_attrs(twin)
    with pytest.raises(NotFittedError):
        case.unfitted(twin)
    # same parameters (seed included), fresh instance: the same result
    _same(first, case.output(case.fit(twin)))
    # refitting the same instance starts from scratch
    again = case.output(case.fit(est))
    if case.refit_rtol:
        np.testing.assert_allclose(np.asarray(again), np.asarray(first), rtol=case.refit_rtol)
    else:
        _same(first, again)
    if hasattr(est, "history_"):
        h = est.history_
        assert isinstance(h, pd.DataFrame), f"{case.id}.history_ must be a DataFrame"
        assert h.index.name == "epoch" and len(h) >= 1 and h.index[0] == 1
        assert list(h.index) == list(range(1, len(h) + 1))


@pytest.mark.parametrize(
    "case,param",
    [pytest.param(c, p, id=f"{c.id}-{p}") for c in CASES for p in c.bad_params],
)
def test_bad_parameter_fails_in_fit_with_its_name(case, param):
    est = case.make(**{param: case.bad_params[param]})  # constructing never validates
    with pytest.raises((ValueError, TypeError), match=param):
        case.fit(est)


def test_cases_name_bad_parameters():
    """Every estimator with hyperparameters has at least one invalid value tested."""
    lacking = [c.id for c in CASES if c.make().get_params(deep=False) and not c.bad_params]
    assert not lacking, f"cases without bad_params: {lacking}"
