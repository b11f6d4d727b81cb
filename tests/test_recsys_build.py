"""Chapter 5 builds BPR-MF and the two-tower model by hand; the package must build the same models.

The notebook's building cells (the ones that define ``build_bpr_mf`` and ``build_two_tower``)
are extracted from ``notebooks/06_keras_recommender.ipynb`` and run here, and the models they
build are compared with ``neural.bpr_mf_model`` and ``neural.two_tower_model`` (what
``BPRMF.fit`` and ``TwoTower.fit`` train): the same layers and operations in the same order,
the same output and weight shapes, the same parameter count. Editing either side alone fails.
The seed study's CSV (``book/_generated/recsys_seeds.csv``, read by the chapter) must have
been measured with the package's current settings.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retail_lab import recsys, set_seed
from retail_lab.recsys import neural

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "06_keras_recommender.ipynb"
SEEDS_CSV = ROOT / "book" / "_generated" / "recsys_seeds.csv"


def _cell_defining(name: str) -> str:
    cells = [c for c in json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
             if c["cell_type"] == "code" and f"def {name}(" in "".join(c["source"])]
    assert len(cells) == 1, f"{NOTEBOOK.name}: expected one code cell defining {name}(), found {len(cells)}"
    return "".join(cells[0]["source"])


@pytest.fixture(scope="module")
def notebook():
    """The notebook's building cells, run in a fresh namespace (they only define things)."""
    set_seed(0)
    ns: dict = {}
    for name in ("build_bpr_mf", "build_two_tower"):
        exec(compile(_cell_defining(name), f"{NOTEBOOK.name}:{name}", "exec"), ns)  # noqa: S102
    return ns


def _structure(model):
    table = neural.layer_table(model)
    return {
        "operations": [type(op).__name__ for op in model.operations],
        "layers": table["layer"].tolist(),
        "output shapes": table["output shape"].tolist(),
        "weights": table["weights"].tolist(),
        "inputs": [(t.name, tuple(t.shape), t.dtype) for t in model.inputs],
        "output": tuple(model.output.shape),
        "parameters": neural.count_params(model),
        "all parameters": int(model.count_params()),
        "name": model.name,
    }


def _assert_same(built_here, package):
    a, b = _structure(built_here), _structure(package)
    for key in a:
        assert a[key] == b[key], f"{key}: notebook {a[key]} != package {b[key]}"


def test_notebook_bpr_mf_is_the_package_model(notebook):
    s = recsys.BOOK_SETTINGS["BPRMF"]
    here = notebook["build_bpr_mf"](57, 31, dim=s["dim"], l2=s["l2"])
    _assert_same(here, neural.bpr_mf_model(57, 31, dim=s["dim"], l2=s["l2"]))
    assert neural.count_params(here) == 57 * s["dim"] + 31 * (s["dim"] + 1)


def _item_features(n_items=31, n_bands=5, n_tokens=12):
    rng = np.random.default_rng(0)
    band = np.arange(n_items) % n_bands
    tokens = (rng.random((n_items, n_tokens)) < 0.2).astype(np.float32)
    return band, tokens


def test_notebook_two_tower_is_the_package_model(notebook):
    s = recsys.BOOK_SETTINGS["TwoTower"]
    band, tokens = _item_features()
    kw = dict(dim=s["dim"], hidden=s["hidden"], dropout=neural.TwoTower().dropout)
    here = notebook["build_two_tower"](6, band, tokens, **kw)
    _assert_same(here, neural.two_tower_model(6, band, tokens, **kw))


def test_notebook_two_tower_scores_like_the_package(notebook):
    """Same weights in, same scores out: the item tower computes what the package's does."""
    band, tokens = _item_features()
    here = notebook["build_two_tower"](6, band, tokens, dim=8, hidden=16, dropout=0.5)
    package = neural.two_tower_model(6, band, tokens, dim=8, hidden=16, dropout=0.5)
    package.set_weights(here.get_weights())
    rng = np.random.default_rng(1)
    x = {"history": rng.random((4, len(band))).astype(np.float32),
         "country": np.array([0, 1, 5, 2], dtype=np.int32),
         "rfm": rng.normal(size=(4, 3)).astype(np.float32)}
    np.testing.assert_allclose(np.asarray(here(x, training=False)), np.asarray(package(x, training=False)),
                               rtol=1e-5, atol=1e-6)


def test_a_different_build_is_caught(notebook):
    """The comparison is sharp: another width or a missing bias is a difference."""
    band, tokens = _item_features()
    here = notebook["build_two_tower"](6, band, tokens, dim=8, hidden=16, dropout=0.5)
    with pytest.raises(AssertionError):
        _assert_same(here, neural.two_tower_model(6, band, tokens, dim=8, hidden=17, dropout=0.5))
    with pytest.raises(AssertionError):
        _assert_same(notebook["build_bpr_mf"](5, 4, dim=3), neural.bpr_mf_model(5, 4, dim=4))


def test_fitted_models_use_the_builders():
    """BPRMF and TwoTower train exactly the model their builder makes."""
    from test_recsys_neural import synthetic_shop  # tests/ is on sys.path under pytest

    split = recsys.temporal_split(synthetic_shop(), cutoff="2011-09-01")
    bpr = neural.BPRMF(dim=4, epochs=1, seed=0).fit(split)
    _assert_same(bpr.model_, neural.bpr_mf_model(*split.X.shape, dim=4))
    tt = neural.TwoTower(dim=4, hidden=8, every_days=15, span_days=200, epochs=1, seed=0).fit(split)
    _assert_same(tt.model_, neural.two_tower_model(len(tt.countries_), tt.band_, tt.tokens_, dim=4,
                                                   hidden=8, dropout=tt.dropout))
    inputs, target = neural.TwoTower(dim=4, hidden=8, every_days=15, span_days=200).prepare(split)
    assert set(inputs) == {"history", "country", "rfm"}
    assert target.shape == (len(inputs["country"]), split.X.shape[1])
    np.testing.assert_allclose(target.sum(axis=1), 1.0, rtol=1e-5)


def _seed_study_header() -> dict:
    header = {}
    for line in SEEDS_CSV.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip()] = value.strip()
    return header


def test_seed_study_was_measured_with_the_book_settings():
    assert SEEDS_CSV.exists(), "run tools/seed_study.py: chapter 5 reads its results"
    header = _seed_study_header()
    for key in ("measured", "cpu", "settings", "seeds", "splits"):
        assert key in header, f"{SEEDS_CSV.name}: the header lacks {key!r}"
    settings = json.loads(header["settings"])
    now = json.loads(json.dumps({"BOOK_SETTINGS": recsys.BOOK_SETTINGS, "BOOK_GRIDS": recsys.BOOK_GRIDS}))
    assert settings == now, (f"{SEEDS_CSV.name} was measured with other settings than recsys.BOOK_SETTINGS / "
                             "BOOK_GRIDS; run tools/seed_study.py again")


def test_seed_study_covers_every_model_seed_and_split():
    header = _seed_study_header()
    table = pd.read_csv(SEEDS_CSV, comment="#")
    seeds, splits = json.loads(header["seeds"]), json.loads(header["splits"])
    assert len(seeds) >= 3 and len(splits) >= 2
    assert "runs" in header and header["runs"].startswith(f"{len(seeds) * len(splits)} of")
    stochastic = table[table["stochastic"]]
    for (split, model), g in stochastic.groupby(["split", "model"]):
        assert sorted(g["seed"]) == sorted(seeds), f"{model} on {split}: seeds {sorted(g['seed'])}"
    assert set(table["split"]) == set(splits)
    assert {"EASE", "two-tower", "repeat", "repeat + two-tower"} <= set(table["model"])
    for prot in ("new", "all"):
        assert (table[f"ndcg10_{prot}_low"] <= table[f"ndcg10_{prot}"]).all()
        assert (table[f"ndcg10_{prot}"] <= table[f"ndcg10_{prot}_high"]).all()


RERANK_CSV = ROOT / "book" / "_generated" / "rerank_seeds.csv"


def test_rerank_study_was_measured_with_the_book_settings():
    assert RERANK_CSV.exists(), "run tools/seed_study.py --study rerank: chapter 6.1 reads its results"
    header = {}
    for line in RERANK_CSV.read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip()] = value.strip()
    for key in ("measured", "cpu", "load", "settings", "seeds", "splits"):
        assert key in header, f"{RERANK_CSV.name}: the header lacks {key!r}"
    now = json.loads(json.dumps({"RERANKER_SETTINGS": recsys.RERANKER_SETTINGS,
                                 "BOOK_GRIDS": {k: recsys.BOOK_GRIDS[k] for k in ("EASE", "RepeatBuyer")}}))
    assert json.loads(header["settings"]) == now, (
        f"{RERANK_CSV.name} was measured with other settings than recsys.RERANKER_SETTINGS; run "
        "tools/seed_study.py --study rerank again")
    table = pd.read_csv(RERANK_CSV, comment="#")
    seeds, splits = json.loads(header["seeds"]), json.loads(header["splits"])
    assert len(seeds) >= 3 and set(table["split"]) == set(splits) and len(splits) >= 2
    for (split, model), g in table[table["stochastic"]].groupby(["split", "model"]):
        assert sorted(g["seed"]) == sorted(seeds), f"{model} on {split}: seeds {sorted(g['seed'])}"
    paired = table[table["baseline"].notna()]
    assert ((paired["diff_low"] <= paired["diff"]) & (paired["diff"] <= paired["diff_high"])).all()
