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
    # optimal order: treated responder, non-responders, control responder -> Q = 0, 1, 1, 1, 0
    np.testing.assert_allclose(mk.perfect_qini_curve(y, t)["qini"], [0, 1, 1, 1, 0])
    # areas above the random line (Q(N) = 0): model 0.25 * (1 + 1 - 1) = 0.25,
    # optimal 0.25 * (1 + 1 + 1) = 0.75; Radcliffe's coefficient is their ratio
    assert mk.qini_coefficient(y, t, np.array([4, 3, 2, 1])) == pytest.approx(0.25 / 0.75)


def test_qini_coefficient_is_normalised_by_the_optimal_curve():
    y, t, tau, rng = planted_uplift(20000, 0.3, 0.1, seed=3)
    # the perfect ranking scores 1, whatever its scale
    assert mk.qini_coefficient(y, t, 5 * (y * t - y * (1 - t))) == pytest.approx(1.0)
    # random rankings average about 0 (their spread is the noise of one ranking)
    rand = [mk.qini_coefficient(y, t, rng.random(len(y))) for _ in range(20)]
    assert abs(np.mean(rand)) < 0.01 and np.std(rand) < 0.03
    # the true uplift ranks well but far below the optimum, which also sees the outcomes;
    # reversing it is worse than random
    good = mk.qini_coefficient(y, t, tau)
    assert 0.05 < good < 0.5
    assert mk.qini_coefficient(y, t, -tau) < -0.05
    # independent computation of the same ratio: areas with numpy on the curves' raw points
    def area(curve):
        q = curve["qini"].to_numpy()
        x = curve["fraction"].to_numpy()
        g = q - x * q[-1]
        return float(((g[1:] + g[:-1]) / 2 * np.diff(x)).sum())
    expected = area(mk.qini_curve(y, t, tau)) / area(mk.perfect_qini_curve(y, t))
    assert good == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="undefined"):
        mk.qini_coefficient(np.zeros(10), np.tile([0, 1], 5), np.arange(10))


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
    assert good > 0.05 and abs(rand) < good / 3
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


def test_rfm_scores_keep_ties_together_and_use_every_bin_below_them():
    """Many customers share a frequency: tied values get the score of the quintile in which the
    first of them falls (method 'min'), so two-invoice customers score 2, not 3."""
    freq = pd.Series([1, 1, 1, 2, 2, 3, 3, 3, 4, 9])
    # min ranks 1,1,1,4,4,6,6,6,9,10 of 10 -> ceil(5 * rank / 10)
    assert mk._quintile_score(freq).tolist() == [1, 1, 1, 2, 2, 3, 3, 3, 5, 5]
    # (the average rank would give 1,1,1,3,3,4,4,4,5,5: no customer with F = 2)
    recency = pd.Series([400.0, 200, 200, 90, 60, 30, 30, 10, 5, 1])  # fewer days is better
    assert mk._quintile_score(recency, higher_is_better=False).tolist() == [1, 1, 1, 2, 3, 3, 3, 4, 5, 5]
    # through rfm_table: one line per invoice, customer c<i> buys freq[i] times
    lines = []
    for i, f in enumerate(freq):
        for k in range(f):
            lines.append((f"{i}-{k}", f"c{i}", pd.Timestamp("2011-06-01") + pd.Timedelta(days=i + k)))
    tx = pd.DataFrame(lines, columns=["InvoiceNo", "CustomerID", "InvoiceDate"]).assign(
        StockCode="A", Quantity=1, UnitPrice=1.0)
    r = mk.rfm_table(tx, "2012-01-01")
    assert r.loc[["c3", "c4"], "F"].tolist() == [2, 2]
    assert r.groupby("frequency")["F"].nunique().max() == 1  # equal frequency, equal score
    # a segment defined by F <= 2 holds the customers with one or two invoices
    low_f = r[r["F"] <= 2]
    assert set(low_f["frequency"]) == {1, 2}


def test_uplift_task_splits_one_arm_against_no_email():
    rng = np.random.default_rng(0)
    n = 300
    hill = pd.DataFrame({"segment": rng.choice(["Mens E-Mail", "Womens E-Mail", "No E-Mail"], n),
                         "recency": rng.integers(1, 13, n), "history": rng.gamma(2, 100, n),
                         "mens": rng.integers(0, 2, n), "womens": rng.integers(0, 2, n),
                         "newbie": rng.integers(0, 2, n), "zip_code": rng.choice(["Urban", "Rural"], n),
                         "channel": rng.choice(["Web", "Phone"], n), "visit": rng.integers(0, 2, n),
                         "conversion": rng.integers(0, 2, n)})
    task = mk.uplift_task(hill, "Womens E-Mail", outcome="conversion", test_size=0.25, seed=3)
    kept = hill[hill["segment"].isin(["Womens E-Mail", "No E-Mail"])]
    assert len(task.y) == len(kept) and len(task.train) + len(task.test) == len(kept)
    assert set(task.train).isdisjoint(task.test) and abs(len(task.test) / len(kept) - 0.25) < 0.01
    np.testing.assert_array_equal(task.y, kept["conversion"].to_numpy())
    assert (task.treatment, task.outcome, task.test_size, task.seed) == ("Womens E-Mail", "conversion", 0.25, 3)
    same = mk.uplift_task(hill, "Womens E-Mail", outcome="conversion", test_size=0.25, seed=3)
    np.testing.assert_array_equal(task.test, same.test)
    with pytest.raises(ValueError, match="outcome"):
        mk.uplift_task(hill, outcome="spend")
    with pytest.raises(ValueError, match="test_size"):
        mk.uplift_task(hill, test_size=50)


# ------------------------------------------------------- chapter 6.1: the model the A/B test uses


def test_history_split_keeps_every_line_and_measures_ages_from_after_the_last(world):
    log = world.simulate_log(sim.BrowsePolicy(world, k=10, seed=3), days=40, seed=3)
    s = recsys.history_split(log)
    assert len(s.train) == int(log["CustomerID"].notna().sum()) and s.test.empty
    assert s.cutoff > log["InvoiceDate"].max() and s.cutoff - log["InvoiceDate"].max() <= pd.Timedelta(seconds=1)
    np.testing.assert_array_equal(s.X.toarray(), recsys.interaction_matrix(log, s.users, s.items).toarray())
    with pytest.raises(ValueError, match="no purchase with a CustomerID"):
        recsys.history_split(log.assign(CustomerID=np.nan))


def test_ab_task_puts_the_offline_winner_into_the_test():
    task = sim.recommendation_ab_task(seed=1, history_days=120, n_boot=50)
    table = task.offline.pivot_table(index="model", columns="metric", values="mean")["NDCG@10"]
    # the per-customer scores behind the choice are the table's means, and the winner is their maximum
    np.testing.assert_allclose(task.per_user.mean()[table.index], table, rtol=1e-12)
    assert task.model == table[list(sim.AB_MODELS)].idxmax()
    assert set(task.policies) == {"popularity", task.model}
    shown_ = task.policies[task.model](np.arange(20))
    assert shown_.shape == (20, sim.BOOK_SLATE) and (shown_ >= 0).all() and (shown_ < task.world.n_items).all()


@pytest.mark.parametrize("name", sim.AB_MODELS)
def test_every_candidate_can_serve_the_whole_world(name):
    world = sim.RetailWorld(n_customers=300, n_items=60, seed=2)
    log = world.simulate_log(sim.BrowsePolicy(world, k=10, seed=2), days=90, seed=2)
    policy = sim.model_policy(world, log, name, k=5)
    customers = np.arange(world.n_customers)
    slates = policy(customers)
    assert slates.shape == (world.n_customers, 5)
    assert all(len(set(row)) == 5 for row in slates.tolist())       # five different products each
    unseen = np.setdiff1d(customers, world.customer_ids.get_indexer(log["CustomerID"].unique()))
    if name == "re-ranker" and len(unseen):                          # no history: the best-sellers
        counts = np.asarray(sim.world_matrix(world, log).sum(axis=0)).ravel()
        np.testing.assert_array_equal(slates[unseen], sim.PopularityPolicy(counts, k=5)(unseen))


def test_recommendation_lift_model_and_penalty_validated(world):
    with pytest.raises(ValueError, match="model must be one of"):
        sim.recommendation_lift(world, model="SASRec")
    with pytest.raises(ValueError, match="does not take it"):
        sim.recommendation_lift(world, model="item-kNN", l2=10.0)
    with pytest.raises(ValueError, match="model must be one of"):
        sim.model_policy(world, world.simulate_log(sim.BrowsePolicy(world, 5), days=5), "popularity")
