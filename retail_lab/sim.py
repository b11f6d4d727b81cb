"""A small retail world with known ground truth, for online experiments the real data cannot run.

Customers have latent tastes, price sensitivities and visit rates; products have latent
vectors, categories, prices and an overall appeal. Each visit shows a slate of ``k`` products
chosen by a policy; the customer picks from the slate by a multinomial logit with a
no-purchase option, and may keep picking (a basket). Promotions raise visit probability with
an effect that differs by customer. Logs use the Online Retail columns, so every
``retail_lab`` model trains on them unchanged.

Choice model, for customer u and slate S:
``v_ui = taste * theta_u . phi_i + a_i - beta_u * log(price_i)``,
``P(i | S) = exp(v_ui) / (exp(v_0) + sum_{j in S} exp(v_uj))``, ``P(none) = exp(v_0) / (...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["RetailWorld", "BrowsePolicy", "PopularityPolicy", "RecommenderPolicy", "OraclePolicy",
           "ab_test", "summarize_ab", "peeking_study", "ABTask", "recommendation_ab_task", "AB_MODELS",
           "model_policy",
           "BOOK_HISTORY_DAYS", "BOOK_BROWSE_SLATE", "BOOK_SLATE", "BOOK_TEST_DAYS", "email_experiment", "world_matrix", "recommendation_lift", "log_profile",
           "shop_transactions", "SHOP_COLUMNS"]


def _check_seed(seed, name: str = "seed") -> int:
    """A seed must be a non-negative whole number (a float, text, bool or None is refused:
    each would silently give a different or unreproducible stream)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be a non-negative int such as 0, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return int(seed)


def _check_int(v, name: str, low: int = 1, high: int | None = None) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number (int), got {v!r}")
    if v < low or (high is not None and v > high):
        rng = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {rng}, got {v}")
    return int(v)


def _check_real(v, name: str, low: float | None = None, *, low_open: bool = False) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {v!r}")
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {v}")
    return float(v)


def _positions(x, n: int, name: str, hint: str) -> np.ndarray:
    """Integer row positions in [0, n); text ids, fractions, negatives (which NumPy would
    silently count from the end) and out-of-range values are a clear error."""
    a = np.asarray(x)
    if a.dtype.kind == "b":
        raise TypeError(f"{name} must be integer positions, got True/False values")
    if a.dtype.kind not in "iuf":
        first = a.flat[0] if a.size else None
        first = first.item() if isinstance(first, np.generic) else first
        raise TypeError(f"{name} must be integer positions 0..{n - 1}, got values such as {first!r}; {hint}")
    if a.dtype.kind == "f":
        if not np.isfinite(a).all() or (a != np.round(a)).any():
            bad = a[~np.isfinite(a) | (a != np.round(a))].flat[0]
            raise ValueError(f"{name} must be whole-number positions, got {bad}")
    a = a.astype(int, copy=False)
    if a.size and (a.min() < 0 or a.max() >= n):
        bad = a.min() if a.min() < 0 else a.max()
        raise ValueError(f"{name} must be positions 0..{n - 1}, got {bad}; {hint}")
    return a


_CUSTOMER_HINT = "map CustomerIDs to positions with world.customer_ids.get_indexer(ids)"
_ITEM_HINT = "map StockCodes to positions with world.stock_codes.get_indexer(codes)"


def _check_world_ids(world: "RetailWorld", log: pd.DataFrame, what: str) -> None:
    """Every CustomerID and StockCode of ``log`` must be the world's (same values, same type)."""
    for col, known in (("CustomerID", world.customer_ids), ("StockCode", world.stock_codes)):
        if col not in log.columns:
            raise ValueError(f"{what} misses column {col!r}")
        ids = pd.Index(log[col].dropna().unique())
        unknown = ids[known.get_indexer(ids) < 0]
        if len(unknown):
            as_text = set(known.astype(str))
            hint = (f" (they differ only in type: the world's are {type(known[0]).__name__}, these are "
                    f"{type(unknown[0]).__name__}; convert with .astype(str))" if str(unknown[0]) in as_text else "")
            raise ValueError(f"{what} holds {len(unknown)} {col}(s) that are not this world's, e.g. "
                             f"{list(unknown[:3])}{hint}; simulate the log with this world")


@dataclass
class RetailWorld:
    """Parameters of the simulated shop (defaults calibrated to resemble Online Retail).

    Parameters
    ----------
    n_customers, n_items : int
    n_categories : int
        Products cluster by category in taste space.
    dim : int
        Taste dimensions.
    taste_strength : float
        Weight of the taste match in utility; 0 means personal taste does not matter, so
        personalisation cannot help.
    appeal_sigma : float
        Spread of products' overall appeal (log scale): the popularity long tail.
    price_sensitivity : float
        Mean of customers' beta (lognormal).
    no_purchase_utility : float
        v_0; higher means fewer purchases per visit.
    basket_continue : float
        After a purchase, the chance the customer looks at the slate again.
    visit_rate : float
        Mean visits per customer per day (gamma-distributed across customers).
    seed : int
    """

    n_customers: int = 5000
    n_items: int = 500
    n_categories: int = 12
    dim: int = 8
    taste_strength: float = 3.0
    appeal_sigma: float = 1.0
    price_sensitivity: float = 0.5
    no_purchase_utility: float = 5.5
    basket_continue: float = 0.85
    visit_rate: float = 0.05
    seed: int = 0
    theta: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        for name in ("n_customers", "n_items", "n_categories", "dim"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        _check_real(self.basket_continue, "basket_continue")
        if not 0 <= self.basket_continue < 1:
            raise ValueError(f"basket_continue must be in [0, 1), got {self.basket_continue}")
        _check_real(self.visit_rate, "visit_rate", 0, low_open=True)
        _check_real(self.taste_strength, "taste_strength", 0)
        _check_real(self.appeal_sigma, "appeal_sigma", 0)
        _check_real(self.price_sensitivity, "price_sensitivity", 0)
        _check_real(self.no_purchase_utility, "no_purchase_utility")
        _check_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        centres = rng.normal(size=(self.n_categories, self.dim))
        self.category = rng.integers(0, self.n_categories, self.n_items)
        phi = centres[self.category] + 0.5 * rng.normal(size=(self.n_items, self.dim))
        self.phi = phi / np.linalg.norm(phi, axis=1, keepdims=True)
        favourite = rng.integers(0, self.n_categories, self.n_customers)
        theta = centres[favourite] + 0.7 * rng.normal(size=(self.n_customers, self.dim))
        self.theta = theta / np.linalg.norm(theta, axis=1, keepdims=True)
        self.appeal = self.appeal_sigma * rng.normal(size=self.n_items)
        self.price = np.round(np.exp(rng.normal(np.log(2.5), 0.8, self.n_items)), 2).clip(0.19, None)
        self.beta = self.price_sensitivity * np.exp(0.5 * rng.normal(size=self.n_customers))
        self.rate = rng.gamma(0.7, self.visit_rate / 0.7, self.n_customers)
        # how strongly each customer reacts to a promotion (used by email_experiment)
        self.promo_response = np.exp(0.8 * rng.normal(size=self.n_customers)) * (1 + self.beta)
        self.stock_codes = pd.Index([f"S{i:05d}" for i in range(self.n_items)], name="StockCode")
        self.customer_ids = pd.Index([f"{10000 + u}" for u in range(self.n_customers)], name="CustomerID")

    # ---------------------------------------------------------------- choice model
    def utilities(self, customers, items=None) -> np.ndarray:
        """v_ui for customers (n,) and items (n, k) or all items; shape (n, k).

        Customers and items are positions (0..n_customers-1, 0..n_items-1), not CustomerIDs
        or StockCodes; text, fractions, negatives and out-of-range positions are an error.
        """
        customers = _positions(np.atleast_1d(customers), self.n_customers, "customers", _CUSTOMER_HINT)
        if customers.ndim != 1:
            raise ValueError(f"customers must be one-dimensional, got shape {customers.shape}")
        if items is None:
            items = np.broadcast_to(np.arange(self.n_items), (len(customers), self.n_items))
        items = _positions(items, self.n_items, "items", _ITEM_HINT)
        if items.ndim != 2 or len(items) != len(customers):
            raise ValueError(f"items (slates) must have shape (n_customers, k) = ({len(customers)}, k), "
                             f"got {items.shape}")
        taste = np.einsum("nd,nkd->nk", self.theta[customers], self.phi[items])
        return (self.taste_strength * taste + self.appeal[items]
                - self.beta[customers, None] * np.log(self.price[items]))

    def choice_probabilities(self, customers, slates) -> np.ndarray:
        """P(no purchase), P(item 1), ..., P(item k) for each visit; shape (n, k + 1), rows sum to 1."""
        return self._logit(self.utilities(customers, slates))

    def _logit(self, v: np.ndarray) -> np.ndarray:
        """Multinomial-logit probabilities of [no purchase, slate items] from utilities ``v``
        (n, k); an entry of -inf (a product no longer on offer) gets probability 0."""
        v = np.concatenate([np.full((len(v), 1), self.no_purchase_utility), v], axis=1)
        v -= v.max(axis=1, keepdims=True)
        e = np.exp(v)
        return e / e.sum(axis=1, keepdims=True)

    def shop(self, customers, slates, rng) -> list[np.ndarray]:
        """Simulate each visit's basket (item indices bought) from its slate."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0), got {type(rng).__name__}")
        customers = _positions(np.atleast_1d(customers), self.n_customers, "customers", _CUSTOMER_HINT)
        slates = np.array(_positions(slates, self.n_items, "slates", _ITEM_HINT), dtype=int)
        if slates.ndim != 2 or len(slates) != len(customers) or slates.shape[1] < 1:
            raise ValueError(f"slates must have shape (n_visits, k) with k >= 1 = ({len(customers)}, k), "
                             f"got {slates.shape}; a policy returns one slate per visitor")
        n, k = slates.shape
        available = np.ones((n, k), dtype=bool)
        active = np.ones(n, dtype=bool)
        bought = [[] for _ in range(n)]
        v = self.utilities(customers, slates)
        for _ in range(k):
            idx = np.flatnonzero(active)
            if len(idx) == 0:
                break
            p = self._logit(np.where(available[idx], v[idx], -np.inf))
            pick = (rng.random(len(idx))[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
            pick = np.minimum(pick, k)
            stop = pick == 0
            for row, c in zip(idx, pick):
                if c > 0:
                    bought[row].append(slates[row, c - 1])
                    available[row, c - 1] = False
            cont = rng.random(len(idx)) < self.basket_continue
            active[idx[stop | ~cont]] = False
        return [np.asarray(b, dtype=int) for b in bought]

    # ---------------------------------------------------------------- logs
    def simulate_log(self, policy, days: int = 180, start: str = "2011-01-01", seed: int = 0) -> pd.DataFrame:
        """Visits and purchases over ``days`` days, as Online Retail purchase lines.

        Returns
        -------
        DataFrame with InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
        CustomerID, Country (one line per product bought; one invoice per visit with a
        purchase).
        """
        days = _check_int(days, "days")
        rng = np.random.default_rng(_check_seed(seed))
        t0 = pd.Timestamp(start)
        if pd.isna(t0):
            raise ValueError(f"start must be a date such as '2011-01-01', got {start!r}")
        lines = []
        invoice = 500000
        for day in range(days):
            visitors = np.flatnonzero(rng.random(self.n_customers) < 1 - np.exp(-self.rate))
            if len(visitors) == 0:
                continue
            baskets = self.shop(visitors, policy(visitors), rng)
            ts = t0 + pd.Timedelta(days=day)
            for c, b in zip(visitors, baskets):
                if len(b):
                    invoice += 1
                    q = 1 + rng.poisson(2.0, len(b))
                    lines += [(str(invoice), i, int(qq), ts + pd.Timedelta(minutes=int(rng.integers(480, 1080))), c)
                              for i, qq in zip(b, q)]
        df = pd.DataFrame(lines, columns=["InvoiceNo", "item", "Quantity", "InvoiceDate", "customer"])
        return pd.DataFrame({
            "InvoiceNo": df["InvoiceNo"],
            "StockCode": self.stock_codes[df["item"]],
            "Description": [f"CATEGORY {self.category[i]} PRODUCT {i}" for i in df["item"]],
            "Quantity": df["Quantity"].astype(int),
            "InvoiceDate": df["InvoiceDate"],
            "UnitPrice": self.price[df["item"]],
            "CustomerID": self.customer_ids[df["customer"]],
            "Country": "United Kingdom",
        })


# -------------------------------------------------------------------- policies


class BrowsePolicy:
    """What a customer finds by browsing: ``k`` products drawn in proportion to exp(appeal)."""

    def __init__(self, world: RetailWorld, k: int = 10, seed: int = 0):
        self.world, self.k = world, _check_int(k, "k", 1, world.n_items)
        self.rng = np.random.default_rng(_check_seed(seed))
        w = np.exp(world.appeal)
        self.p = w / w.sum()

    def __call__(self, customers):
        return np.stack([self.rng.choice(self.world.n_items, self.k, replace=False, p=self.p)
                         for _ in range(len(customers))])


class PopularityPolicy:
    """The same ``k`` best-selling products for everyone (counts: purchases per item)."""

    def __init__(self, counts, k: int = 10):
        c = np.asarray(counts, dtype=float)
        if c.ndim != 1 or len(c) == 0 or not np.isfinite(c).all():
            raise ValueError("counts must be one finite number per product (e.g. purchases per item)")
        self.slate = np.argsort(-c, kind="stable")[:_check_int(k, "k", 1, len(c))]

    def __call__(self, customers):
        return np.tile(self.slate, (len(customers), 1))


class RecommenderPolicy:
    """Top-``k`` of a fitted ``retail_lab.recsys`` model whose rows are the world's customers."""

    def __init__(self, model, k: int = 10):
        self.model, self.k = model, _check_int(k, "k")

    def __call__(self, customers):
        return self.model.recommend(np.asarray(customers, dtype=int), k=self.k)


class OraclePolicy:
    """The ``k`` products with the highest true utility for each customer (an upper bound)."""

    def __init__(self, world: RetailWorld, k: int = 10):
        self.world, self.k = world, _check_int(k, "k", 1, world.n_items)

    def __call__(self, customers):
        v = self.world.utilities(customers)
        return np.argsort(-v, axis=1)[:, : self.k]


# -------------------------------------------------------------------- experiments


def ab_test(world: RetailWorld, policies: dict, days: int = 14, seed: int = 0) -> pd.DataFrame:
    """Randomised experiment: each customer is assigned to one policy (equal shares).

    Returns
    -------
    DataFrame, one row per visit
        day, customer, arm, items (products bought), revenue (GBP), converted (bought any).
    """
    if not isinstance(policies, dict):
        raise TypeError(f"policies must be a dict of arm name -> policy, got {type(policies).__name__}")
    if len(policies) < 2:
        raise ValueError("an A/B test needs at least two policies")
    days = _check_int(days, "days")
    rng = np.random.default_rng(_check_seed(seed))
    names = list(policies)
    arm = rng.permutation(np.arange(world.n_customers) % len(names))
    rows = []
    for day in range(days):
        visitors = np.flatnonzero(rng.random(world.n_customers) < 1 - np.exp(-world.rate))
        for a, name in enumerate(names):
            who = visitors[arm[visitors] == a]
            if len(who) == 0:
                continue
            baskets = world.shop(who, policies[name](who), rng)
            q = [1 + rng.poisson(2.0, len(b)) for b in baskets]
            rows.append(pd.DataFrame({
                "day": day, "customer": who, "arm": name,
                "items": [len(b) for b in baskets],
                "revenue": [float((world.price[b] * qq).sum()) for b, qq in zip(baskets, q)],
            }))
    out = pd.concat(rows, ignore_index=True)
    out["converted"] = (out["items"] > 0).astype(int)
    return out


def _per_customer(visits: pd.DataFrame, arm: str, num: str, den_filter=None) -> tuple[np.ndarray, np.ndarray]:
    """Per customer of ``arm``: total of column ``num`` and number of rows (visits, or orders
    when ``den_filter`` keeps only visits with a purchase)."""
    v = visits[visits["arm"] == arm]
    if den_filter is not None:
        v = v[den_filter(v)]
    g = v.groupby("customer")[num].agg(["sum", "size"])
    return g["sum"].to_numpy(dtype=float), g["size"].to_numpy(dtype=float)


def summarize_ab(visits: pd.DataFrame, control: str, treatment: str, level: float = 0.95,
                 unit: str = "customer") -> pd.DataFrame:
    """Conversion per visit, revenue per visitor and items per order, with the difference
    treatment - control, its interval and p-value.

    :func:`ab_test` randomises customers, so the customer is the unit of analysis: with
    ``unit="customer"`` (default) conversion per visit and items per order are ratios of
    customer totals with customer-clustered (delta-method) standard errors
    (:func:`retail_lab.marketing.difference_in_ratios`), and revenue per visitor is a mean
    over customers (Welch). ``unit="visit"`` treats every visit (and order) as an independent
    unit, as if visits had been randomised: its intervals are too narrow when a customer's
    visits resemble each other; it is there to show that.
    """
    from .marketing import _check_level, difference_in_means, difference_in_ratios

    missing = [c for c in ("arm", "customer", "revenue", "items", "converted") if c not in visits.columns]
    if missing:
        raise ValueError(f"visits misses column(s) {missing}; pass the output of ab_test")
    if control == treatment:
        raise ValueError(f"control and treatment are the same arm {control!r}; compare two different arms")
    for arm in (control, treatment):
        if arm not in set(visits["arm"]):
            raise ValueError(f"arm {arm!r} not in the visits; arms are {sorted(set(visits['arm']))}")
    if unit not in ("customer", "visit"):
        raise ValueError(f"unit must be 'customer' (the randomised unit) or 'visit', got {unit!r}")
    level = _check_level(level)
    per_visitor = visits.groupby(["arm", "customer"])["revenue"].sum().reset_index()
    ordered = lambda v: v["items"] > 0  # noqa: E731
    rows = []
    for name in ("conversion rate (per visit)", "revenue per visitor (GBP)", "items per order"):
        if name.startswith("revenue"):
            get = lambda a: per_visitor.loc[per_visitor["arm"] == a, "revenue"]  # noqa: E731
            e = difference_in_means(get(treatment), get(control), level)
        elif unit == "visit":
            v = visits if name.startswith("conversion") else visits[ordered(visits)]
            col = "converted" if name.startswith("conversion") else "items"
            e = difference_in_means(v.loc[v["arm"] == treatment, col], v.loc[v["arm"] == control, col], level)
        else:
            col, keep = ("converted", None) if name.startswith("conversion") else ("items", ordered)
            e = difference_in_ratios(*_per_customer(visits, treatment, col, keep),
                                     *_per_customer(visits, control, col, keep), level)
        rows.append((name, e.control_mean, e.treated_mean, e.diff, e.low, e.high,
                     e.diff / e.control_mean if e.control_mean else np.nan, e.p_value))
    return pd.DataFrame(rows, columns=["metric", control, treatment, "difference", "low", "high",
                                       "relative lift", "p_value"])


def _clustered_daily_p(v: pd.DataFrame, days: int) -> np.ndarray:
    """Two-sided p-value of the conversion-per-visit difference B - A after each day, on the
    cumulative visits so far, with customer-clustered (delta-method) standard errors; NaN on
    days when an arm has fewer than 2 visiting customers, or the standard error is 0 while
    the rates differ; 1 when it is 0 and they are equal."""
    p = np.full(days, np.nan)
    stats_by_arm = {}
    for arm in ("A", "B"):
        d = v[v["arm"] == arm]
        cust, pos = np.unique(d["customer"].to_numpy(), return_inverse=True)
        Y = np.zeros((len(cust), days))
        N = np.zeros((len(cust), days))
        np.add.at(Y, (pos, d["day"].to_numpy()), d["converted"].to_numpy())
        np.add.at(N, (pos, d["day"].to_numpy()), 1.0)
        stats_by_arm[arm] = (Y.cumsum(axis=1), N.cumsum(axis=1))
    ratio, var = {}, {}
    for arm, (Y, N) in stats_by_arm.items():
        seen = N > 0  # customers who have visited by each day
        n = seen.sum(axis=0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = Y.sum(axis=0) / N.sum(axis=0)
            e2 = ((Y - r * N) ** 2).sum(axis=0)  # customers not yet seen contribute 0
            var[arm] = np.where(n >= 2, e2 / (n * (n - 1)) / (N.sum(axis=0) / n) ** 2, np.nan)
        ratio[arm] = r
    se = np.sqrt(var["A"] + var["B"])
    d = ratio["B"] - ratio["A"]
    # without spread (every customer so far converted on all or on none of their visits,
    # possible in the first days of a small test) equal rates are no evidence of a difference
    # (p = 1, as the pooled test gives), and unequal ones cannot be judged: that look is skipped
    ok = np.isfinite(se) & (se > 0)
    p[ok] = 2 * stats.norm.sf(np.abs(d[ok]) / se[ok])
    p[np.isfinite(se) & (se == 0) & (d == 0)] = 1.0
    return p


def peeking_study(world: RetailWorld, policy, n_tests: int = 100, days: int = 28,
                  alpha: float = 0.05, unit: str = "customer") -> pd.DataFrame:
    """A/A tests (the same policy in both arms) checked once at the end and once a day.

    Test ``s`` uses seed ``s``. After each day the cumulative conversions per visit of the two
    arms are compared: with ``unit="customer"`` (default; customers are what :func:`ab_test`
    randomises) by a z-test with customer-clustered standard errors
    (:func:`retail_lab.marketing.difference_in_ratios`), with ``unit="visit"`` by the pooled
    two-proportion z-test on visits.

    Returns
    -------
    DataFrame, one row per test
        final_significant (p < alpha at the last day), any_significant (p < alpha on some day),
        min_p_value.
    """
    from .marketing import _check_level, two_proportion_ztest

    n_tests = _check_int(n_tests, "n_tests")
    days = _check_int(days, "days")
    alpha = _check_level(alpha, "alpha", 0.05)
    if unit not in ("customer", "visit"):
        raise ValueError(f"unit must be 'customer' (the randomised unit) or 'visit', got {unit!r}")
    rows = []
    for s in range(n_tests):
        v = ab_test(world, {"A": policy, "B": policy}, days=days, seed=s)
        if unit == "customer":
            p = _clustered_daily_p(v, days)
        else:
            daily = (v.groupby(["day", "arm"])["converted"].agg(["sum", "count"]).unstack("arm", fill_value=0)
                     .reindex(index=range(days), fill_value=0)
                     .reindex(columns=pd.MultiIndex.from_product([["sum", "count"], ["A", "B"]]), fill_value=0)
                     .cumsum())
            # a look is possible once both arms have had a visit (tiny worlds can start with none)
            p = np.array([two_proportion_ztest(d[("sum", "B")], d[("count", "B")], d[("sum", "A")],
                                               d[("count", "A")])[1]
                          if d[("count", "A")] > 0 and d[("count", "B")] > 0 else np.nan
                          for _, d in daily.iterrows()])
        if np.isnan(p[-1]):
            raise ValueError(f"test {s}: an arm had no visit in {days} days (or, with unit='customer', fewer "
                             "than 2 visiting customers); use more customers or days")
        rows.append((p[-1] < alpha, np.nanmin(p) < alpha, np.nanmin(p)))
    return pd.DataFrame(rows, columns=["final_significant", "any_significant", "min_p_value"])


def email_experiment(world: RetailWorld, history: pd.DataFrame, cutoff, days: int = 14,
                     base_effect: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """A randomised e-mail campaign in the simulated shop, with every customer's true uplift.

    Half the customers (at random) get an e-mail; it multiplies their visit rate over the
    next ``days`` by ``1 + base_effect * promo_response`` (a heterogeneous effect).

    Returns
    -------
    DataFrame, one row per customer
        recency_days, frequency, monetary (from ``history`` before ``cutoff``; customers
        without history get 365, 0, 0), price_sensitivity, treated (0/1), visit (0/1 outcome),
        p_control, p_treated, true_uplift (p_treated - p_control).
    """
    from .features import customer_features

    days = _check_real(days, "days", 0, low_open=True)
    base_effect = _check_real(base_effect, "base_effect")
    if (1 + base_effect * world.promo_response < 0).any():
        raise ValueError(f"base_effect {base_effect} would make some visit rates negative; use base_effect >= "
                         f"{-1 / world.promo_response.max():.3f}")
    rng = np.random.default_rng(_check_seed(seed))
    _check_world_ids(world, history, "history")
    f = customer_features(history, cutoff).reindex(world.customer_ids)
    f = f[["recency_days", "frequency", "monetary"]].fillna({"recency_days": 365.0, "frequency": 0.0, "monetary": 0.0})
    p0 = 1 - np.exp(-world.rate * days)
    p1 = 1 - np.exp(-world.rate * days * (1 + base_effect * world.promo_response))
    treated = rng.permutation(np.arange(world.n_customers) % 2)
    p = np.where(treated == 1, p1, p0)
    out = f.reset_index(drop=True)
    out["price_sensitivity"] = world.beta
    out["treated"] = treated
    out["visit"] = (rng.random(world.n_customers) < p).astype(int)
    out["p_control"], out["p_treated"], out["true_uplift"] = p0, p1, p1 - p0
    return out


def world_matrix(world: RetailWorld, log: pd.DataFrame):
    """Binary customer x product matrix of a simulated log, rows = all the world's customers
    (so row index = customer index), columns = all its products."""
    from .recsys import interaction_matrix

    _check_world_ids(world, log, "log")
    return interaction_matrix(log, world.customer_ids, world.stock_codes)


#: Chapter 6.1's A/B test: days of browsing history, products a browsing visit shows, products
#: each arm shows, and days the test runs.
BOOK_HISTORY_DAYS = 365
BOOK_BROWSE_SLATE = 20
BOOK_SLATE = 10
BOOK_TEST_DAYS = 28


#: The recommenders chapter 6.1 compares offline on the simulated shop and can put into its
#: A/B test, by the name the chapter shows (settings: ``recsys.SIMULATED_SHOP_SETTINGS``).
AB_MODELS = ("item-kNN", "EASE", "re-ranker")


def _offline_model(name: str, data, seed: int):
    """Chapter 6.1's model ``name`` fitted on a temporal split of a simulated log, or (all but
    the re-ranker, which needs the split's dates) on a customers x products matrix."""
    from .recsys import EASE, ItemKNN, Popularity, Reranker, SIMULATED_SHOP_SETTINGS

    X = data.X if hasattr(data, "X") else data
    if name == "popularity":
        return Popularity().fit(X)
    if name == "item-kNN":
        return ItemKNN(**SIMULATED_SHOP_SETTINGS["ItemKNN"]).fit(X)
    if name == "EASE":
        return EASE(**SIMULATED_SHOP_SETTINGS["EASE"]).fit(X)
    if name == "re-ranker":
        return Reranker(**SIMULATED_SHOP_SETTINGS["Reranker"], seed=seed).fit(data)
    raise ValueError(f"model must be 'popularity' or one of {AB_MODELS}, got {name!r}")


class _SplitPolicy:
    """Top-``k`` of a model fitted on a :class:`recsys.RecSplit` (its own customer and product
    indices), translated to the world's indices; customers without history see the
    best-sellers."""

    def __init__(self, world: RetailWorld, split, model, fallback: PopularityPolicy, k: int):
        self.model, self.k, self.fallback = model, k, fallback
        self.rows = split.users.get_indexer(world.customer_ids)
        self.columns = world.stock_codes.get_indexer(split.items)
        if (self.columns < 0).any():
            raise ValueError("the split has products the world does not know")

    def __call__(self, customers):
        customers = np.asarray(customers, dtype=int)
        out = self.fallback(customers).copy()
        rows = self.rows[customers]
        known = rows >= 0
        if known.any():
            out[known] = self.columns[self.model.recommend(rows[known], k=self.k)]
        return out


def model_policy(world: RetailWorld, log: pd.DataFrame, model: str = "EASE", k: int = BOOK_SLATE,
                 seed: int = 0):
    """Recommender ``model`` (one of :data:`AB_MODELS`) fitted on a whole simulated log, as a
    policy for :func:`ab_test`.

    item-kNN and EASE are fitted on :func:`world_matrix` (every customer a row); the re-ranker
    on the log as training data with its cutoff just after the last purchase
    (``recsys.history_split``), and customers without history see the log's best-sellers.
    """
    from .recsys import history_split

    k = _check_int(k, "k", 1, world.n_items)
    if model not in AB_MODELS:
        raise ValueError(f"model must be one of {AB_MODELS}, got {model!r}")
    X = world_matrix(world, log)
    counts = np.asarray(X.sum(axis=0)).ravel()
    if model == "re-ranker":
        split = history_split(log)
        fitted = _offline_model(model, split, seed)
        return _SplitPolicy(world, split, fitted, PopularityPolicy(counts, k), k)
    return RecommenderPolicy(_offline_model(model, X, seed), k)


def _last_month_split(log: pd.DataFrame, history_days: int):
    from .recsys import temporal_split

    cut = log["InvoiceDate"].min().normalize() + pd.Timedelta(days=history_days - 30)
    return temporal_split(log, cutoff=str(cut.date()))


def recommendation_lift(world: RetailWorld, history_days: int = 180, test_days: int = 21, k: int = 10,
                        l2: float | None = None, seed: int = 0, model: str = "EASE") -> dict:
    """One experiment: simulate history, train a recommender, A/B test it against popularity.

    ``model`` is one of :data:`AB_MODELS`. ``l2`` is EASE's penalty (only with
    ``model="EASE"``); ``None`` means the simulated shop's setting
    (``recsys.SIMULATED_SHOP_SETTINGS``, chosen in chapter 6.1).

    The offline score is NDCG@10 (new items) of the model on a temporal split of the history
    (last 30 days held out); the online result is the A/B test's relative lift.

    Returns
    -------
    dict
        offline_ndcg, conversion_lift (relative), conversion_low, conversion_high,
        revenue_lift (relative), revenue_low, revenue_high, control_conversion.
    """
    from .recsys import EASE, evaluate

    if model not in AB_MODELS:
        raise ValueError(f"model must be one of {AB_MODELS}, got {model!r}")
    if l2 is not None and model != "EASE":
        raise ValueError(f"l2 is EASE's penalty; model {model!r} does not take it (leave l2=None)")
    history_days = _check_int(history_days, "history_days", 31)
    test_days = _check_int(test_days, "test_days")
    k = _check_int(k, "k", 1, world.n_items)
    if l2 is not None:
        l2 = _check_real(l2, "l2", 0, low_open=True)
    log = world.simulate_log(BrowsePolicy(world, k=20, seed=seed), days=history_days, seed=seed)
    split = _last_month_split(log, history_days)
    offline = EASE(l2).fit(split.X) if l2 is not None else _offline_model(model, split, seed)
    per_user, _ = evaluate(offline, split, "new", ks=(10,))
    X = world_matrix(world, log)
    counts = np.asarray(X.sum(axis=0)).ravel()
    policy = (RecommenderPolicy(EASE(l2).fit(X), k) if l2 is not None
              else model_policy(world, log, model, k, seed))
    visits = ab_test(world, {"popularity": PopularityPolicy(counts, k), model: policy},
                     days=test_days, seed=seed + 1)
    s = summarize_ab(visits, "popularity", model).set_index("metric")
    c, r = s.loc["conversion rate (per visit)"], s.loc["revenue per visitor (GBP)"]
    return {"offline_ndcg": float(per_user["NDCG@10"].mean()),
            "conversion_lift": c["relative lift"], "conversion_low": c["low"] / c["popularity"],
            "conversion_high": c["high"] / c["popularity"],
            "revenue_lift": r["relative lift"], "revenue_low": r["low"] / r["popularity"],
            "revenue_high": r["high"] / r["popularity"], "control_conversion": c["popularity"]}


@dataclass
class ABTask:
    """Chapter 6.1's simulated shop, its browsing history, the offline comparison that picks
    the recommender, and the two policies the A/B test compares.

    Attributes
    ----------
    world : RetailWorld
    history : DataFrame
        The browsing year's purchase lines (Online Retail's columns).
    split : RecSplit
        The history with its last 30 days held out.
    offline : DataFrame
        ``recsys.evaluation_table`` of popularity and :data:`AB_MODELS` on ``split`` (new
        items).
    per_user : DataFrame
        NDCG@10 per evaluated customer (rows) and model (columns), for paired comparisons.
    model : str
        The recommender with the highest offline NDCG@10: the A/B test's arm B.
    policies : dict
        "popularity" (the history's best-sellers) and ``model`` fitted on the whole history.
    """

    world: RetailWorld
    history: pd.DataFrame
    split: object
    offline: pd.DataFrame
    per_user: pd.DataFrame
    model: str
    policies: dict


def recommendation_ab_task(seed: int = 0, history_days: int = BOOK_HISTORY_DAYS,
                           browse_slate: int = BOOK_BROWSE_SLATE, k: int = BOOK_SLATE,
                           n_boot: int = 500) -> ABTask:
    """The shop, history, offline comparison and policies of chapter 6.1's A/B test.

    ``RetailWorld(seed=seed)``; ``history_days`` of browsing (each visit shows
    ``browse_slate`` products drawn by appeal, :class:`BrowsePolicy`). Popularity and the
    recommenders of :data:`AB_MODELS` are compared offline on the history's last 30 days (new
    items, full ranking; intervals from ``n_boot`` bootstrap samples); the one with the highest
    mean NDCG@10 is refitted on the whole history and becomes arm B, against arm "popularity"
    (the history's ``k`` best-sellers). Run the test with
    ``ab_test(task.world, task.policies, days=BOOK_TEST_DAYS, seed=seed)``.
    """
    from .recsys import evaluation_table

    seed = _check_seed(seed)
    history_days = _check_int(history_days, "history_days", 31)
    k = _check_int(k, "k")
    world = RetailWorld(seed=seed)
    history = world.simulate_log(BrowsePolicy(world, k=browse_slate, seed=seed), days=history_days, seed=seed)
    split = _last_month_split(history, history_days)
    models = {name: _offline_model(name, split, seed) for name in ("popularity", *AB_MODELS)}
    offline, metrics = evaluation_table(models, split, protocols=("new",), n_boot=n_boot,
                                        seed=seed, return_per_user=True)
    per_user = pd.DataFrame({name: metrics["new", name]["NDCG@10"].to_numpy() for name in models})
    ndcg = per_user[list(AB_MODELS)].mean()
    best = str(ndcg.idxmax())          # ties: the first in AB_MODELS, the simplest
    X = world_matrix(world, history)
    counts = np.asarray(X.sum(axis=0)).ravel()
    policies = {"popularity": PopularityPolicy(counts, k=k), best: model_policy(world, history, best, k, seed)}
    return ABTask(world, history, split, offline, per_user, best, policies)


def log_profile(log: pd.DataFrame) -> pd.Series:
    """Summary statistics of purchase lines, for comparing a simulated log with real data.

    Returns
    -------
    Series
        customers, products, invoices, lines per invoice (median, mean), unit price (median,
        GBP), share of purchases in the top 10% of products, share of customer-product pairs
        bought on two or more invoices (repeat rate), invoices per customer (mean).
    """
    for col in ("InvoiceNo", "StockCode", "CustomerID", "UnitPrice"):
        if col not in log.columns:
            raise ValueError(f"log misses column {col!r}")
    if log.empty:
        raise ValueError("log has no lines; there is nothing to profile")
    per_invoice = log.groupby("InvoiceNo").size()
    counts = log.groupby("StockCode", observed=True).size().sort_values(ascending=False)
    top = max(1, int(round(0.1 * len(counts))))
    pairs = log.groupby(["CustomerID", "StockCode"], observed=True)["InvoiceNo"].nunique()
    return pd.Series({
        "customers": log["CustomerID"].nunique(),
        "products": log["StockCode"].nunique(),
        "invoices": log["InvoiceNo"].nunique(),
        "lines per invoice (median)": float(per_invoice.median()),
        "lines per invoice (mean)": float(per_invoice.mean()),
        "unit price, median (GBP)": float(log["UnitPrice"].median()),
        "purchases in top 10% of products": float(counts.iloc[:top].sum() / counts.sum()),
        "repeat rate (pairs bought 2+ times)": float((pairs >= 2).mean()),
        "invoices per customer (mean)": float(log.groupby("CustomerID", observed=True)["InvoiceNo"].nunique().mean()),
    })


# ------------------------------------------------------------ another shop's transaction lines

_ADJECTIVES = ("RED", "BLUE", "GREEN", "PINK", "WHITE", "BLACK", "IVORY", "VINTAGE", "RETRO",
               "SMALL", "LARGE", "GLASS", "WOODEN", "ENAMEL", "CERAMIC", "FLORAL", "SPOTTY",
               "STRIPED", "SILVER", "GOLD")
_NOUNS = ("MUG", "CANDLE", "LANTERN", "NOTEBOOK", "CUSHION", "TEA TOWEL", "BUNTING", "FRAME",
          "CLOCK", "BASKET", "BAG", "TIN", "COASTER", "VASE", "BOWL", "PLATE", "STICKER SET",
          "GIFT WRAP", "DOORSTOP", "PURSE", "APRON", "JAR", "LUNCH BOX", "PEG SET")
_QUANTITIES = np.array([1, 2, 3, 4, 6, 8, 12, 24, 48])
_QUANTITY_P = np.array([0.30, 0.17, 0.08, 0.10, 0.12, 0.05, 0.12, 0.05, 0.01])
#: Service and bookkeeping lines the simulated shop writes: (code, description, price, share
#: of invoices). Postage is added separately, to foreign customers' invoices.
_SERVICE_LINES = (("M", "Manual", 5.0, 0.002), ("ADJUST", "Adjustment", 12.0, 0.0005),
                  ("BANK CHARGES", "Bank charges", 15.0, 0.0005), ("TEST001", "Test line", 1.0, 0.0003),
                  ("SP1002", "Special order", 30.0, 0.0005))
SHOP_COLUMNS = {"InvoiceNo": "order_id", "StockCode": "sku", "Description": "product_name",
                "Quantity": "qty", "InvoiceDate": "ordered_at", "UnitPrice": "unit_price",
                "CustomerID": "customer", "Country": "country"}
"""An example of another shop's names, schema name -> shop name, for
``shop_transactions(columns=SHOP_COLUMNS)``; map them back with
``schema.standardize(df, columns={v: k for k, v in SHOP_COLUMNS.items()})``."""


def shop_transactions(n_customers: int = 2000, *, start="2023-01-01", days: int = 365,
                      n_products: int = 800, seed: int = 0, columns=None,
                      home_country: str = "Germany", invoices_per_customer: float = 6.0,
                      lines_per_invoice: float = 10.0, guest_share: float = 0.08,
                      cancel_share: float = 0.015, closed_weekday: int | None = 6,
                      date_format: str | None = None) -> pd.DataFrame:
    """Transaction lines of a simulated shop, one row per invoice line, in its own format.

    A plausible, seeded stand-in for another shop's export, to try the package on data
    that is not Online Retail: other column names (``columns``), another date range, other
    product and customer codes, other countries. Customers buy at their own rate (gamma
    distributed), from two favourite categories more than from the rest, more in November
    and December, never on ``closed_weekday``; product popularity follows a power law.

    The lines hold what real exports hold: postage lines (``POST``) on foreign customers'
    invoices, a few service and bookkeeping lines (``M``, ``ADJUST``, ``BANK CHARGES``,
    ``TEST001``, ``SP1002``), guest orders without a customer id, cancellations (invoice
    ``C...``, negative quantity, later than and matching a purchase line of the same
    customer) and a few exact duplicate lines.

    Parameters
    ----------
    n_customers : int, default 2000
        Registered customers (guests come on top). The table grows linearly with it and
        with ``days``: about ``n_customers * invoices_per_customer * days / 365 *
        lines_per_invoice`` lines.
    start : date-like, default "2023-01-01"
        First day.
    days : int, default 365
        Days covered.
    n_products : int, default 800
        Products in the catalogue (codes ``"30000"`` upwards, some with a letter suffix).
    seed : int, default 0
        Same seed and parameters, same table.
    columns : dict, optional
        Schema name -> the shop's name for each column (e.g. :data:`SHOP_COLUMNS`); columns
        not named keep the schema's name.
    home_country : str, default "Germany"
        Where most customers live.
    invoices_per_customer : float, default 6.0
        Mean invoices per customer per 365 days.
    lines_per_invoice : float, default 10.0
        Mean product lines per invoice.
    guest_share : float, default 0.08
        Share of invoices without a customer id.
    cancel_share : float, default 0.015
        Share of product lines of registered customers that are cancelled later.
    closed_weekday : int or None, default 6
        A day of the week without sales (0 = Monday, 6 = Sunday); None: open every day.
    date_format : str, optional
        Write the invoice dates as text in this ``strftime`` format (as a CSV export
        would), e.g. ``"%d/%m/%Y %H:%M"``; default: datetime64.

    Returns
    -------
    DataFrame
        The eight columns of :data:`retail_lab.schema.TRANSACTION_COLUMNS`, renamed by
        ``columns``, in time order with a RangeIndex. Invoice numbers are text, customer
        ids float (NaN for guests), as many spreadsheet exports have them; bring the table
        to the schema with :func:`retail_lab.schema.standardize`.

    Examples
    --------
    >>> tx = shop_transactions(50, days=60, seed=1, columns=SHOP_COLUMNS)
    >>> list(tx.columns)[:4]
    ['order_id', 'sku', 'product_name', 'qty']
    >>> tx.equals(shop_transactions(50, days=60, seed=1, columns=SHOP_COLUMNS))
    True
    """
    n_c = _check_int(n_customers, "n_customers", 1)
    n_days = _check_int(days, "days", 1)
    n_p = _check_int(n_products, "n_products", 2)
    rng = np.random.default_rng(_check_seed(seed))
    from ._checks import as_date
    t0 = as_date(start, "start", "2023-01-01").normalize()
    inv_rate = _check_real(invoices_per_customer, "invoices_per_customer", 0, low_open=True)
    lines_mean = _check_real(lines_per_invoice, "lines_per_invoice", 1)
    for name, share in (("guest_share", guest_share), ("cancel_share", cancel_share)):
        if _check_real(share, name, 0) >= 1:
            raise ValueError(f"{name} must be a share in [0, 1), got {share}")
    if closed_weekday is not None:
        _check_int(closed_weekday, "closed_weekday", 0, 6)
    if not isinstance(home_country, str) or not home_country.strip():
        raise TypeError(f"home_country must be a country name, got {home_country!r}")
    if date_format is not None and not isinstance(date_format, str):
        raise TypeError(f"date_format must be a strftime format, got {date_format!r}")
    from .schema import COLUMN_NAMES
    columns = {} if columns is None else columns
    if not isinstance(columns, dict):
        raise TypeError(f"columns must be a dict, schema name -> your name, e.g. "
                        f"{{'InvoiceNo': 'order_id'}}; got {type(columns).__name__}")
    unknown = [k for k in columns if k not in COLUMN_NAMES]
    if unknown:
        raise ValueError(f"columns names {unknown}, which are not schema columns; the keys "
                         f"are schema names {list(COLUMN_NAMES)}, the values your names")
    names = [columns.get(c, c) for c in COLUMN_NAMES]
    if len(set(names)) != len(names):
        raise ValueError(f"columns gives two columns the same name: {names}")

    # catalogue: codes, categories, prices, power-law popularity
    n_cat = max(2, min(24, n_p // 20))
    codes = np.array([f"{30000 + 7 * i}" for i in range(n_p)], dtype=object)
    suffix = rng.random(n_p) < 0.15
    codes[suffix] = [c + s for c, s in zip(codes[suffix], rng.choice(list("ABCDE"), suffix.sum()))]
    category = rng.integers(0, n_cat, n_p)
    desc = np.array([f"{_ADJECTIVES[rng.integers(len(_ADJECTIVES))]} {_NOUNS[c % len(_NOUNS)]}"
                     f"{'' if i < len(_NOUNS) * len(_ADJECTIVES) else f' {i}'}"
                     for i, c in enumerate(category)], dtype=object)
    price = np.round(np.exp(rng.normal(1.0, 0.8, n_p)), 2).clip(0.29, 120.0)
    appeal = rng.permutation(1.0 / np.arange(1, n_p + 1) ** 0.9)
    order = np.lexsort((np.arange(n_p), category))  # products grouped by category
    cat_sorted = category[order]
    w = appeal[order]
    cat_total = np.bincount(cat_sorted, weights=w, minlength=n_cat)
    within = (np.cumsum(w) - np.concatenate([[0], np.cumsum(cat_total)])[cat_sorted]) / \
        np.where(cat_total[cat_sorted] > 0, cat_total[cat_sorted], 1)
    key_cat = cat_sorted + within  # searchsorted(key_cat, c + u) picks in category c
    global_cdf = np.cumsum(w) / w.sum()
    present_cats = np.flatnonzero(cat_total > 0)

    # calendar: weekday and season weights
    day_dates = t0 + pd.to_timedelta(np.arange(n_days), unit="D")
    weight = 1.0 + 0.6 * np.isin(day_dates.month, (11, 12)) + 0.15 * (day_dates.day_of_week < 4)
    if closed_weekday is not None:
        weight = weight * (day_dates.day_of_week != closed_weekday)
    if weight.sum() == 0:
        raise ValueError(f"every day of the {n_days} is a closed day; pick other days")
    day_cdf = np.concatenate([[0.0], np.cumsum(weight) / weight.sum()])

    # customers (the last n_guest rows are guests, whose ids are dropped below)
    rate = rng.gamma(0.7, inv_rate / 0.7, n_c) * n_days / 365
    n_inv = rng.poisson(rate) + (rng.random(n_c) < 0.7)  # most registered customers buy once
    joined = np.where(rng.random(n_c) < 0.35, rng.integers(0, n_days, n_c), 0)
    fav = rng.choice(present_cats, size=(n_c, 2))
    others = [c for c in ("France", "Netherlands", "Austria", "Switzerland", "Belgium", "Spain",
                          "Italy", "Denmark", "Poland", "United Kingdom") if c != home_country]
    country = np.where(rng.random(n_c) < 0.85, home_country,
                       rng.choice(others, n_c, p=np.linspace(2, 1, len(others)) / np.linspace(2, 1, len(others)).sum()))
    ids = (rng.permutation(90000) + 10000)[:n_c] if n_c <= 90000 else np.arange(10000, 10000 + n_c)
    inv_cust = np.repeat(np.arange(n_c), n_inv)
    n_guest = int(round(len(inv_cust) * guest_share / (1 - guest_share))) if guest_share else 0
    guest_cust = rng.integers(0, n_c, n_guest)  # a guest shops like some customer
    inv_cust = np.concatenate([inv_cust, guest_cust])
    is_guest = np.r_[np.zeros(len(inv_cust) - n_guest, bool), np.ones(n_guest, bool)]
    lo = np.where(is_guest, 0.0, day_cdf[joined[inv_cust]])
    u = lo + rng.random(len(inv_cust)) * (1.0 - lo)
    inv_day = np.clip(np.searchsorted(day_cdf, u, side="right") - 1, 0, n_days - 1)
    inv_sec = rng.integers(8 * 3600, 19 * 3600, len(inv_cust))
    inv_time = t0.to_datetime64() + inv_day.astype("timedelta64[D]") + inv_sec.astype("timedelta64[s]")

    # product lines
    n_lines = 1 + rng.negative_binomial(1.5, 1.5 / (1.5 + lines_mean - 1), len(inv_cust))
    line_inv = np.repeat(np.arange(len(inv_cust)), n_lines)
    cust = inv_cust[line_inv]
    from_fav = rng.random(len(line_inv)) < 0.65
    fav_cat = fav[cust, rng.integers(0, 2, len(line_inv))]
    pick = np.empty(len(line_inv), dtype=np.int64)
    uu = rng.random(len(line_inv)) * (1 - 1e-12)
    pick[from_fav] = np.searchsorted(key_cat, fav_cat[from_fav] + uu[from_fav], side="right")
    pick[~from_fav] = np.searchsorted(global_cdf, uu[~from_fav], side="right")
    prod = order[np.clip(pick, 0, n_p - 1)]
    keep = ~pd.DataFrame({"i": line_inv, "p": prod}).duplicated().to_numpy()
    line_inv, prod = line_inv[keep], prod[keep]
    qty = rng.choice(_QUANTITIES, len(prod), p=_QUANTITY_P)
    unit = np.where(qty >= 24, np.round(price[prod] * 0.85, 2), price[prod])
    lines = pd.DataFrame({"inv": line_inv, "code": codes[prod], "desc": desc[prod], "qty": qty,
                          "price": unit})

    # service lines: postage for foreign customers, rare bookkeeping lines
    foreign = np.flatnonzero((country[inv_cust] != home_country) & (rng.random(len(inv_cust)) < 0.8))
    extra = [pd.DataFrame({"inv": foreign, "code": "POST", "desc": "POSTAGE",
                           "qty": rng.integers(1, 4, len(foreign)), "price": 18.0})]
    for code, text, p, share in _SERVICE_LINES:
        hit = np.flatnonzero(rng.random(len(inv_cust)) < share)
        extra.append(pd.DataFrame({"inv": hit, "code": code, "desc": text, "qty": 1, "price": p}))
    lines = pd.concat([lines, *extra], ignore_index=True)
    lines["cust"] = np.where(is_guest[lines["inv"]], np.nan, ids[inv_cust[lines["inv"]]].astype(float))
    lines["country"] = country[inv_cust[lines["inv"]]]
    lines["time"] = inv_time[lines["inv"]]
    lines["cancel"] = False

    # cancellations: a later invoice reversing one product line of a registered customer
    cand = np.flatnonzero(lines["cust"].notna().to_numpy() & lines["code"].str[0].str.isdigit().to_numpy())
    n_cancel = int(round(cancel_share * len(cand)))
    if n_cancel:
        c = lines.iloc[np.sort(rng.choice(cand, n_cancel, replace=False))].copy()
        end = t0.to_datetime64() + np.timedelta64(n_days, "D") - np.timedelta64(1, "s")
        c["time"] = c["time"].to_numpy() + rng.integers(3600, 20 * 86400, n_cancel).astype("timedelta64[s]")
        if closed_weekday is not None:  # a return is booked on the next open day
            on_closed = pd.DatetimeIndex(c["time"]).day_of_week == closed_weekday
            c.loc[on_closed, "time"] = c.loc[on_closed, "time"] + pd.Timedelta(days=1)
        c = c[c["time"].to_numpy() <= end]  # a return after the extract is not in it
        n_cancel = len(c)
        c["qty"] = -c["qty"]
        c["cancel"] = True
        c["inv"] = len(inv_cust) + np.arange(n_cancel)  # one cancellation invoice each
        lines = pd.concat([lines, c], ignore_index=True)

    # invoice numbers in time order; a few lines exported twice
    n_inv_all = int(lines["inv"].max()) + 1
    first_time = lines.groupby("inv")["time"].min().reindex(range(n_inv_all))
    rank = np.empty(n_inv_all, dtype=np.int64)
    rank[np.lexsort((np.arange(n_inv_all), first_time.to_numpy()))] = np.arange(n_inv_all)
    number = (700001 + rank).astype(str).astype(object)
    lines["no"] = np.where(lines["cancel"], "C" + number[lines["inv"]], number[lines["inv"]])
    dup = lines.iloc[np.flatnonzero(rng.random(len(lines)) < 0.002)]
    lines = pd.concat([lines, dup], ignore_index=True)
    lines = lines.sort_values(["time", "no"], kind="stable").reset_index(drop=True)

    when = pd.Series(lines["time"].to_numpy(dtype="datetime64[ns]"))
    out = pd.DataFrame({
        "InvoiceNo": lines["no"].to_numpy(object),
        "StockCode": lines["code"].to_numpy(object),
        "Description": lines["desc"].to_numpy(object),
        "Quantity": lines["qty"].to_numpy(np.int64),
        "InvoiceDate": when.dt.strftime(date_format) if date_format else when,
        "UnitPrice": lines["price"].to_numpy(float),
        "CustomerID": lines["cust"].to_numpy(float),
        "Country": lines["country"].to_numpy(object),
    })
    out.columns = names
    return out
