"""The simulator (ground truth known) and the marketing statistics (hand-computed, scipy)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from retail_lab import marketing as mk
from retail_lab import recsys, sim


@pytest.fixture(scope="module")
def world():
    return sim.RetailWorld(n_customers=3000, n_items=200, seed=1)


def test_choice_probabilities_sum_to_one_and_follow_the_logit(world):
    customers = np.array([0, 1, 2])
    slates = np.array([[0, 1, 2], [3, 4, 5], [0, 9, 7]])
    p = world.choice_probabilities(customers, slates)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    v = world.utilities(customers, slates)
    expected = np.exp(v[0]) / (np.exp(world.no_purchase_utility) + np.exp(v[0]).sum())
    np.testing.assert_allclose(p[0, 1:], expected)


def test_log_has_online_retail_schema_and_is_seeded(world):
    a = world.simulate_log(sim.BrowsePolicy(world, k=10, seed=0), days=20, seed=3)
    b = world.simulate_log(sim.BrowsePolicy(world, k=10, seed=0), days=20, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                               "UnitPrice", "CustomerID", "Country"]
    assert (a["Quantity"] > 0).all() and (a["UnitPrice"] > 0).all() and len(a) > 100
    # every retail_lab model trains on it unchanged
    X = recsys.interaction_matrix(a, world.customer_ids, world.stock_codes)
    assert recsys.EASE(10).fit(X).recommend([0, 1], 5).shape == (2, 5)


def test_no_effect_ab_test_interval_covers_zero_in_most_seeds(world):
    pop = sim.PopularityPolicy(world.appeal, k=10)
    covered = 0
    for seed in range(20):
        v = sim.ab_test(world, {"A": pop, "B": pop}, days=7, seed=seed)
        r = sim.summarize_ab(v, "A", "B").set_index("metric").loc["conversion rate (per visit)"]
        covered += r["low"] <= 0 <= r["high"]
    assert covered >= 16  # 95% intervals: expect ~19 of 20


def test_planted_effect_recovered_by_the_email_experiment(world):
    hist = world.simulate_log(sim.BrowsePolicy(world, k=10, seed=0), days=30, seed=0)
    exp = sim.email_experiment(world, hist, "2011-01-31", base_effect=0.5, seed=4)
    true_ate = exp["true_uplift"].mean()
    e = mk.difference_in_means(exp.loc[exp.treated == 1, "visit"], exp.loc[exp.treated == 0, "visit"])
    assert e.low <= true_ate <= e.high
    assert (exp["true_uplift"] > 0).all()


def test_personalised_oracle_beats_popularity(world):
    v = sim.ab_test(world, {"pop": sim.PopularityPolicy(world.appeal), "oracle": sim.OraclePolicy(world)},
                    days=14, seed=0)
    r = sim.summarize_ab(v, "pop", "oracle").set_index("metric").loc["conversion rate (per visit)"]
    assert r["low"] > 0


def test_world_rejects_bad_parameters():
    with pytest.raises(ValueError, match="n_items"):
        sim.RetailWorld(n_items=0)
    with pytest.raises(ValueError, match="basket_continue"):
        sim.RetailWorld(basket_continue=1.0)
    with pytest.raises(ValueError, match="two policies"):
        sim.ab_test(sim.RetailWorld(n_customers=10, n_items=20), {"A": None})


# ---------------------------------------------------------------- marketing statistics

def test_difference_in_means_matches_welch_and_hand_values():
    a, b = np.array([1, 0, 1, 1.0]), np.array([0, 0, 1, 0.0])
    e = mk.difference_in_means(a, b)
    assert e.diff == pytest.approx(0.5)
    assert e.se == pytest.approx(np.sqrt(a.var(ddof=1) / 4 + b.var(ddof=1) / 4))
    assert e.low == pytest.approx(0.5 - 1.959964 * e.se, rel=1e-5)
    with pytest.raises(ValueError, match="NaN"):
        mk.difference_in_means([1, np.nan, 0], [0, 1, 0])
    with pytest.raises(ValueError, match="at least 2"):
        mk.difference_in_means([1], [0, 1])


def test_two_proportion_ztest_against_hand_and_scipy():
    z, p = mk.two_proportion_ztest(30, 100, 20, 100)
    pooled = 0.25
    assert z == pytest.approx((0.3 - 0.2) / np.sqrt(pooled * 0.75 * 0.02))
    # the pooled z-test squared is the chi-square test without continuity correction
    chi2, p_chi, _, _ = stats.chi2_contingency([[30, 70], [20, 80]], correction=False)
    assert z ** 2 == pytest.approx(chi2) and p == pytest.approx(p_chi)


def test_sample_size_reaches_the_power_it_promises():
    n = mk.sample_size_two_proportions(0.10, 0.20, alpha=0.05, power=0.8)
    assert 3500 < n < 4000  # textbook value for 10% -> 12% is about 3,840 per arm
    rng = np.random.default_rng(0)
    hits = sum(mk.two_proportion_ztest(rng.binomial(n, 0.12), n, rng.binomial(n, 0.10), n)[1] < 0.05
               for _ in range(400))
    assert 0.74 < hits / 400 < 0.86
    with pytest.raises(ValueError):
        mk.sample_size_two_proportions(0.1, 0.0)


def test_qini_curve_hand_case_and_random_line():
    y = np.array([1, 0, 1, 0])
    t = np.array([1, 1, 0, 0])
    c = mk.qini_curve(y, t, score=np.array([4, 3, 2, 1]))
    # top1: Yt=1 -> 1; top2: Yt=1, no control -> 1; top3: 1 - 1*2/1 = -1; top4: 1 - 1*2/2 = 0
    np.testing.assert_allclose(c["qini"], [0, 1, 1, -1, 0])
    # area between curve and random line (Q(N) = 0 here): trapezoids of width 1/4, divided by N = 4
    assert mk.qini_coefficient(y, t, np.array([4, 3, 2, 1])) == pytest.approx(0.25 / 4)


def planted_uplift(n, max_uplift, base_rate, seed):
    """A randomised experiment in which unit i's true uplift is tau[i] (uniform)."""
    rng = np.random.default_rng(seed)
    tau = rng.uniform(0, max_uplift, n)
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < base_rate + tau * t).astype(int)
    return y, t, tau, rng


def test_qini_coefficient_rewards_true_uplift_ranking():
    n = 20000
    y, t, tau, rng = planted_uplift(n, 0.3, 0.1, seed=0)
    good = mk.qini_coefficient(y, t, tau)
    rand = mk.qini_coefficient(y, t, rng.random(n))
    assert good > 0.005 and abs(rand) < good / 3
    q, lo, hi = mk.bootstrap_qini(y, t, tau, n_boot=50)
    assert lo < q < hi and lo > 0
    with pytest.raises(ValueError, match="both treated and control"):
        mk.qini_curve(y, np.ones(n), tau)


def test_uplift_models_recover_a_planted_effect():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    n = 20000
    X = rng.normal(size=(n, 3))
    tau = 0.15 * (X[:, 0] > 0)          # only customers with x0 > 0 respond
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.1 + tau * t).astype(int)
    for model in (mk.TLearner(LogisticRegression()), mk.ClassTransformation(LogisticRegression()),
                  mk.KerasUplift(hidden=(8,), epochs=5, seed=0)):
        u = model.fit(X[: n // 2], t[: n // 2], y[: n // 2]).predict(X[n // 2:])
        assert u[X[n // 2:, 0] > 0].mean() > u[X[n // 2:, 0] <= 0].mean() + 0.05, type(model).__name__


def test_uplift_models_clone_their_estimator_and_follow_the_convention():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    t = np.tile([0, 1], 200)
    y = (rng.random(400) < 0.2 + 0.3 * t * (X[:, 0] > 0)).astype(int)
    template = LogisticRegression(C=0.5)
    for cls in (mk.TLearner, mk.ClassTransformation):
        model = cls(template)
        with pytest.raises(NotFittedError, match=cls.__name__):
            model.predict(X)
        assert model.fit(X, t, y) is model and model.estimator is template
        assert not hasattr(template, "coef_"), f"{cls.__name__} fitted its template in place"
        assert clone(model).get_params()["estimator__C"] == 0.5
        # the default is chapter 6.2's logistic regression: the same uplift as passing it
        np.testing.assert_allclose(cls().fit(X, t, y).predict(X),
                                   cls(LogisticRegression(max_iter=1000)).fit(X, t, y).predict(X))
    with pytest.raises(TypeError, match="sample_weight"):
        from sklearn.neighbors import KNeighborsClassifier

        mk.ClassTransformation(KNeighborsClassifier()).fit(X, t, y)
    keras_model = mk.KerasUplift(hidden=[4], epochs=2, seed=0)
    assert keras_model.hidden == [4]  # stored as given; checked and used in fit
    with pytest.raises(NotFittedError, match="KerasUplift"):
        keras_model.predict(X)
    h = keras_model.fit(X, t, y).history_
    assert h.index.name == "epoch" and list(h.index) == [1, 2] and {"loss", "seconds"} <= set(h.columns)
    with pytest.raises(ValueError, match="epochs"):
        mk.KerasUplift(epochs=0).fit(X, t, y)


def test_targeting_table_and_rfm():
    y, t, tau, _ = planted_uplift(4000, 0.2, 0.05, seed=2)
    tab = mk.targeting_table(y, t, tau, fractions=(0.2, 1.0), cost_per_email=0.01, value_per_response=1.0)
    assert tab.loc[0, "uplift_per_1000"] > tab.loc[1, "uplift_per_1000"]
    assert tab.loc[1, "uplift_per_1000"] == pytest.approx(tab.loc[1, "random_per_1000"])
    tx = pd.DataFrame({"InvoiceNo": ["1", "2", "3", "4"], "StockCode": ["A"] * 4, "Quantity": [1, 1, 1, 10],
                       "UnitPrice": [1.0] * 4, "CustomerID": ["a", "a", "b", "c"],
                       "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-20", "2011-01-02", "2011-01-25"])})
    r = mk.rfm_table(tx, "2011-02-01")
    assert r.loc["a", "frequency"] == 2 and r.loc["c", "R"] == 5 and r.loc["b", "R"] < r.loc["a", "R"]
    assert r.loc["c", "M"] == 5 and set(r["segment"]) <= {s for s, _ in mk.RFM_SEGMENTS} | {"other"}
    with pytest.raises(ValueError, match="no customer"):
        mk.rfm_table(tx, "2010-01-01")


def test_uplift_curve_hand_case_and_auuc():
    y = np.array([1, 0, 1, 0])
    t = np.array([1, 0, 1, 0])
    c = mk.uplift_curve(y, t, np.array([4, 3, 2, 1]))
    # top2: 1/1 - 0/1 = 1, x2 = 2; top3: 2/2 - 0/1 = 1, x3 = 3; top4: 2/2 - 0/2 = 1, x4 = 4
    np.testing.assert_allclose(c["uplift"], [0, 0, 2, 3, 4])
    y2, t2, tau, rng = planted_uplift(20000, 0.3, 0.1, seed=5)
    assert mk.auuc(y2, t2, tau) > 0.005 > abs(mk.auuc(y2, t2, rng.random(20000)))


def test_peeking_study_counts_daily_looks():
    w = sim.RetailWorld(n_customers=400, n_items=50, seed=3)
    aa = sim.peeking_study(w, sim.PopularityPolicy(w.appeal), n_tests=30, days=10)
    assert len(aa) == 30
    # a test significant at the end was significant on some day; more looks, more false wins
    assert (aa["any_significant"] >= aa["final_significant"]).all()
    assert aa["any_significant"].mean() >= aa["final_significant"].mean()
    assert aa["final_significant"].mean() <= 0.2 and (aa["min_p_value"] > 0).all()
