"""The benchmark's speed comparison (tools/benchmark.py --speed) on small matrices: what it
returns, that the plain NumPy implementations agree with the book's models, and that the
benchmark table keeps its speed section. Timing itself is not tested (machines differ)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import benchmark
    finally:
        sys.path.remove(str(ROOT / "tools"))
    return benchmark


def _purchases(n_users=120, n_items=60, seed=0):
    rng = np.random.default_rng(seed)
    # popularity varies by item, so similarities and scores are mostly distinct
    p = rng.uniform(0.02, 0.3, n_items)
    return sp.csr_matrix((rng.random((n_users, n_items)) < p).astype(np.float32))


def test_plain_ease_gives_the_books_top_k(bench):
    X = _purchases()
    top_b, s_b = bench.book_ease(X, l2=5.0, k=5)
    top_p, s_p = bench.plain_ease(X, l2=5.0, k=5)
    assert top_b.shape == top_p.shape == (120, 5) and s_b.shape == s_p.shape == (120, 60)
    np.testing.assert_allclose(s_b, s_p, rtol=1e-5, atol=1e-6)   # B stored as float32
    assert bench.agreement(top_b, s_b, top_p, s_p) == (1.0, 1.0)


def test_plain_item_knn_agrees_with_the_book_up_to_ties(bench):
    X = _purchases(seed=1)
    for n_neighbors in (5, 59, 200):
        top_b, s_b = bench.book_item_knn(X, n_neighbors, k=5)
        top_p, s_p = bench.plain_item_knn(X, n_neighbors, k=5)
        ties = bench.neighbour_ties(X, n_neighbors)
        same, up_to_ties = bench.agreement(top_b, s_b, top_p, s_p, tie_items=ties)
        assert up_to_ties == 1.0, n_neighbors
        if not ties.any():
            np.testing.assert_allclose(s_b, s_p, rtol=1e-6)
    assert not bench.neighbour_ties(X, 200).any()   # every neighbour kept: nothing to break


def test_agreement_counts_tied_lists_as_equal(bench):
    scores = np.array([[3.0, 1.0, 1.0, 0.0], [2.0, 1.0, 0.0, 0.0]])
    same, up_to_ties = bench.agreement(np.array([[0, 1], [0, 1]]), scores,
                                       np.array([[0, 2], [0, 2]]), scores)
    assert same == 0.0 and up_to_ties == 0.5   # row 0: 1 and 2 tie; row 1: 2 is worse
    tie_items = np.array([False, False, True, False])   # item 2's neighbours were a tie-break
    assert bench.agreement(np.array([[0, 1], [0, 1]]), scores, np.array([[0, 2], [0, 2]]),
                           scores, tie_items) == (0.0, 1.0)


def test_speed_comparison_rows(bench):
    X = _purchases(80, 40, seed=2)
    calls = []
    rows = bench.speed_comparison(X, reps=2, l2=5.0, n_neighbors=5, k=3, log=calls.append)
    assert [r["model"] for r in rows] == ["EASE (l2 = 5)", "item-kNN (5 neighbours)"]
    for r in rows:
        assert list(r) == bench.SPEED_FIELDS
        assert r["reps"] == 2 and r["book_s"] > 0 and r["plain_s"] > 0
        assert r["book_s"] <= r["book_median_s"] and r["plain_s"] <= r["plain_median_s"]
        assert r["ratio"] > 0        # of the unrounded minima
        assert 0 <= r["agreement"] <= r["agreement_up_to_ties"] == 1.0
    assert rows[0]["agreement"] == 1.0 and len(calls) == 2


def test_side_by_side_interleaves(bench):
    order = []
    times = bench.time_side_by_side({"a": lambda: order.append("a"),
                                     "b": lambda: order.append("b")}, reps=3)
    assert order == ["a", "b", "a", "b", "b", "a", "a", "b"]   # warm-up, then alternating
    assert [len(v) for v in times.values()] == [3, 3]
    with pytest.raises(ValueError):
        bench.time_side_by_side({"a": lambda: None}, reps=0)


def test_benchmark_table_keeps_the_speed_section(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "OUT", tmp_path)
    (tmp_path / "benchmarks.csv").write_text(
        "notebook,seconds,peak_mb,within_budget\n01_background.ipynb,15.7,1169,yes\n")
    rows = [{"model": "EASE (l2 = 1000)", "book_s": 1.5, "plain_s": 2.0, "ratio": 0.75, "reps": 5,
             "agreement": 1.0, "agreement_up_to_ties": 1.0, "book_median_s": 1.6,
             "plain_median_s": 2.2}]
    bench.write_speed(rows, {"machine": "a test machine", "loadavg": "1.00 / 0.50 / 0.25",
                             "data": "a test split"})
    assert bench.read_speed()[1]["machine"] == "a test machine"
    assert bench.table_only() == 0
    table = (tmp_path / "benchmarks.md").read_text()
    assert bench.SPEED_HEADING in table and "| EASE (l2 = 1000) | 1.50 (1.60) | 2.00 (2.20) | 0.75 |" in table
    assert "| NO |" not in table and ".ipynb" not in table
    bench.write_table([("01_background.ipynb", 15.7, 1169, "yes")], "m")   # a new measurement
    assert bench.SPEED_HEADING in (tmp_path / "benchmarks.md").read_text()


# ---- the command line: a partial run keeps the other chapters' rows ------------------------

def test_measuring_some_chapters_keeps_the_others_rows(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "OUT", tmp_path)
    old = [("01_background.ipynb", 15.7, 1169, "yes"), ("07_recommendation_case.ipynb", 63.9, 1079, "yes"),
           ("17_scaling_out.ipynb", 117.7, 2884, "yes")]
    with open(tmp_path / "benchmarks.csv", "w", newline="") as fh:
        fh.write("notebook,seconds,peak_mb,within_budget\n")
        fh.writelines(f"{n},{s},{m},{w}\n" for n, s, m, w in old)
    monkeypatch.setattr(bench, "measure", lambda nb: (61.25, 1050.4))
    assert bench.main([str(ROOT / "notebooks" / "07_recommendation_case.ipynb")]) == 0
    assert bench._read_rows() == [old[0], ("07_recommendation_case.ipynb", 61.2, 1050, "yes"), old[2]]
    table = (tmp_path / "benchmarks.md").read_text()
    assert "61.2" in table and "117.7" in table and "15.7" in table
    assert bench.merge_rows(old, [("00_new.ipynb", 1.0, 1, "yes")])[0][0] == "00_new.ipynb"


@pytest.mark.parametrize("argv, message", [
    (["--hepl"], "unknown option '--hepl'"),
    (["notebooks/nope.ipynb"], "is not a notebook file"),
    (["README.md"], "is not a notebook file"),
])
def test_bad_arguments_are_named_before_anything_runs(bench, tmp_path, monkeypatch, argv, message):
    monkeypatch.setattr(bench, "OUT", tmp_path)
    monkeypatch.setattr(bench, "measure", lambda nb: pytest.fail("nothing may run"))
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit, match=message):
        bench.main(argv)
    assert not list(tmp_path.iterdir())  # nothing written
    with pytest.raises(SystemExit, match="measure first"):
        bench.main(["--table-only"])
