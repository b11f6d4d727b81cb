"""The unit of analysis is the unit of randomisation: customer-clustered intervals for per-visit
metrics of an A/B test that randomises customers (``marketing.difference_in_ratios``,
``sim.summarize_ab``, ``sim.peeking_study``), checked against a hand computation, the
cluster-robust sandwich of a regression on visits, a cluster bootstrap and a coverage
simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from retail_lab import marketing as mk
from retail_lab import sim


def test_difference_in_ratios_hand_case():
    # treated customers: (conversions, visits) = (1, 2), (2, 2); control: (0, 1), (1, 3)
    e = mk.difference_in_ratios([1, 2], [2, 2], [0, 1], [1, 3])
    # treated ratio 3/4, residuals 1 - 1.5 = -0.5 and 2 - 1.5 = 0.5, mean visits 2:
    # var = (0.25 + 0.25) / (2 * 1) / 2^2 = 0.0625
    # control ratio 1/4, residuals -0.25 and 1 - 0.75 = 0.25, mean visits 2:
    # var = (0.0625 + 0.0625) / (2 * 1) / 2^2 = 0.015625
    assert (e.treated_mean, e.control_mean, e.diff) == pytest.approx((0.75, 0.25, 0.5))
    assert e.se == pytest.approx(np.sqrt(0.0625 + 0.015625))
    assert e.low == pytest.approx(0.5 - stats.norm.ppf(0.975) * e.se)
    assert e.p_value == pytest.approx(2 * stats.norm.sf(0.5 / e.se))
    assert (e.n_treated, e.n_control) == (2, 2)  # customers, not visits


def test_difference_in_ratios_refuses_bad_input():
    with pytest.raises(ValueError, match="one value per customer"):
        mk.difference_in_ratios([1, 2], [2], [0, 1], [1, 3])
    with pytest.raises(ValueError, match="den_control must be > 0"):
        mk.difference_in_ratios([1, 2], [2, 2], [0, 1], [0, 3])
    with pytest.raises(ValueError, match="at least 2 customers"):
        mk.difference_in_ratios([1], [2], [0, 1], [1, 3])
    with pytest.raises(ValueError, match="finite"):
        mk.difference_in_ratios([1, np.nan], [2, 2], [0, 1], [1, 3])
    with pytest.raises(ValueError, match="level"):
        mk.difference_in_ratios([1, 2], [2, 2], [0, 1], [1, 3], level=95)


def _clustered_arm(n, rng, a=1.0, b=2.0, mean_extra_visits=2.0):
    """Customers with their own conversion propensity (Beta), 1 + Poisson visits each."""
    visits = 1 + rng.poisson(mean_extra_visits, n)
    p = rng.beta(a, b, n)
    return rng.binomial(visits, p).astype(float), visits.astype(float)


def _sandwich_se(num_t, den_t, num_c, den_c):
    """Independent: cluster-robust (sandwich) SE of the arm coefficient in a regression of
    the per-visit 0/1 outcome on [1, treated], built from expanded visit rows, with the
    per-arm small-sample factor G/(G-1) that difference_in_ratios uses."""
    rows = []
    for arm, nums, dens in ((1, num_t, den_t), (0, num_c, den_c)):
        for g, (y, m) in enumerate(zip(nums, dens)):
            rows += [(arm, f"{arm}-{g}", 1.0 if j < y else 0.0) for j in range(int(m))]
    d = pd.DataFrame(rows, columns=["arm", "cluster", "y"])
    X = np.column_stack([np.ones(len(d)), d["arm"].to_numpy(float)])
    beta = np.linalg.solve(X.T @ X, X.T @ d["y"].to_numpy())
    u = d["y"].to_numpy() - X @ beta
    bread = np.linalg.inv(X.T @ X)
    meat = np.zeros((2, 2))
    for arm in (0, 1):
        sub = d["arm"].to_numpy() == arm
        G = d.loc[sub, "cluster"].nunique()
        scores = pd.DataFrame(X[sub] * u[sub, None]).groupby(d.loc[sub, "cluster"].to_numpy()).sum().to_numpy()
        meat += G / (G - 1) * scores.T @ scores
    V = bread @ meat @ bread
    return beta[1], float(np.sqrt(V[1, 1]))


def test_difference_in_ratios_is_the_cluster_robust_sandwich():
    rng = np.random.default_rng(0)
    nt, dt = _clustered_arm(60, rng)
    nc, dc = _clustered_arm(50, rng, a=1.5)
    e = mk.difference_in_ratios(nt, dt, nc, dc)
    diff, se = _sandwich_se(nt, dt, nc, dc)
    assert e.diff == pytest.approx(diff) and e.se == pytest.approx(se, rel=1e-10)


def test_difference_in_ratios_agrees_with_a_cluster_bootstrap():
    rng = np.random.default_rng(1)
    nt, dt = _clustered_arm(400, rng)
    nc, dc = _clustered_arm(400, rng)
    e = mk.difference_in_ratios(nt, dt, nc, dc)
    boot = []
    for _ in range(2000):  # resample customers (with all their visits) within each arm
        i, j = rng.integers(0, 400, 400), rng.integers(0, 400, 400)
        boot.append(nt[i].sum() / dt[i].sum() - nc[j].sum() / dc[j].sum())
    assert np.std(boot, ddof=1) == pytest.approx(e.se, rel=0.06)


def test_clustered_interval_covers_and_the_per_visit_one_under_covers():
    """A/A experiments in which a customer's visits share one propensity: the per-visit
    (Welch on visits) interval is too narrow, the customer-clustered one covers ~95%."""
    rng = np.random.default_rng(2)
    reps, covered_cluster, covered_visit = 600, 0, 0
    for _ in range(reps):
        nt, dt = _clustered_arm(300, rng)
        nc, dc = _clustered_arm(300, rng)
        e = mk.difference_in_ratios(nt, dt, nc, dc)
        covered_cluster += e.low <= 0 <= e.high
        yt = np.concatenate([np.r_[np.ones(int(y)), np.zeros(int(m - y))] for y, m in zip(nt, dt)])
        yc = np.concatenate([np.r_[np.ones(int(y)), np.zeros(int(m - y))] for y, m in zip(nc, dc)])
        v = mk.difference_in_means(yt, yc)
        covered_visit += v.low <= 0 <= v.high
    assert 0.93 <= covered_cluster / reps <= 0.97
    assert covered_visit / reps < 0.90


@pytest.fixture(scope="module")
def ab_visits():
    w = sim.RetailWorld(n_customers=1500, n_items=100, seed=4)
    pop = sim.PopularityPolicy(w.appeal, k=5)
    return w, sim.ab_test(w, {"A": pop, "B": sim.OraclePolicy(w, k=5)}, days=14, seed=0)


def test_summarize_ab_clusters_by_customer(ab_visits):
    _, v = ab_visits
    per = v.groupby(["arm", "customer"]).agg(conv=("converted", "sum"), visits=("converted", "size"))
    diff, se = _sandwich_se(per.loc["B", "conv"].to_numpy(), per.loc["B", "visits"].to_numpy(),
                            per.loc["A", "conv"].to_numpy(), per.loc["A", "visits"].to_numpy())
    r = sim.summarize_ab(v, "A", "B").set_index("metric").loc["conversion rate (per visit)"]
    z = stats.norm.ppf(0.975)
    assert r["difference"] == pytest.approx(diff)
    assert (r["low"], r["high"]) == pytest.approx((diff - z * se, diff + z * se))
    naive = sim.summarize_ab(v, "A", "B", unit="visit").set_index("metric")
    clustered = sim.summarize_ab(v, "A", "B").set_index("metric")
    assert (naive["difference"] == clustered["difference"]).all()  # same estimates, other intervals
    # revenue per visitor is already per customer: identical under both units
    pd.testing.assert_series_equal(naive.loc["revenue per visitor (GBP)"], clustered.loc["revenue per visitor (GBP)"])
    with pytest.raises(ValueError, match="unit"):
        sim.summarize_ab(v, "A", "B", unit="session")


def test_one_visit_per_customer_gives_the_per_visit_interval(ab_visits):
    """With one visit per customer the customer is the visit: both units give one interval."""
    _, v = ab_visits
    first = v.drop_duplicates("customer")
    a = sim.summarize_ab(first, "A", "B").set_index("metric").loc["conversion rate (per visit)"]
    b = sim.summarize_ab(first, "A", "B", unit="visit").set_index("metric").loc["conversion rate (per visit)"]
    assert (a["low"], a["high"], a["p_value"]) == pytest.approx((b["low"], b["high"], b["p_value"]))


def test_peeking_study_final_look_matches_summarize_ab():
    """The clustered daily test at the last day is summarize_ab's conversion test."""
    w = sim.RetailWorld(n_customers=600, n_items=50, seed=5)
    pop = sim.PopularityPolicy(w.appeal, 5)
    aa = sim.peeking_study(w, pop, n_tests=3, days=8)
    for s in range(3):
        v = sim.ab_test(w, {"A": pop, "B": pop}, days=8, seed=s)
        p = sim.summarize_ab(v, "A", "B").set_index("metric").loc["conversion rate (per visit)", "p_value"]
        assert aa.loc[s, "min_p_value"] <= p + 1e-12
        assert aa.loc[s, "final_significant"] == (p < 0.05)
    with pytest.raises(ValueError, match="unit"):
        sim.peeking_study(w, pop, n_tests=1, days=3, unit="session")
