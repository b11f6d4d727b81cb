"""TensorFlow and Keras are an optional extra (``pip install "retail_lab[keras]"``).

Without them every module still imports and the classical models still fit; a Keras model
says at ``fit`` how to install what it needs. Each check runs in a fresh interpreter whose
import system refuses ``tensorflow`` and ``keras`` as if they were not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCK = textwrap.dedent('''
    import importlib.abc, sys

    class NotInstalled(importlib.abc.MetaPathFinder):
        """Refuse TensorFlow and Keras the way a missing package is refused."""
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    for name in [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")]:
        del sys.modules[name]
''')


def run_without_tensorflow(code: str) -> str:
    """Run ``code`` in a fresh interpreter where tensorflow and keras cannot be imported."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", BLOCK + textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_block_works():
    out = run_without_tensorflow('''
        try:
            import tensorflow  # noqa: F401
        except ModuleNotFoundError as err:
            print("refused", err.name)
    ''')
    assert out.strip() == "refused tensorflow"


def test_every_module_imports_without_tensorflow():
    out = run_without_tensorflow('''
        import importlib, pkgutil, sys
        import retail_lab

        names = ["retail_lab"] + [m.name for m in pkgutil.walk_packages(retail_lab.__path__, "retail_lab.")]
        for name in names:
            importlib.import_module(name)
        assert not any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules)
        print(len(names))
    ''')
    assert int(out.strip()) >= 15


def test_classical_models_fit_without_tensorflow():
    out = run_without_tensorflow('''
        import numpy as np, pandas as pd, scipy.sparse as sp, sys
        from sklearn.linear_model import LogisticRegression
        from retail_lab import inventory, marketing, recsys, service

        rng = np.random.default_rng(0)
        X = sp.csr_matrix((rng.random((30, 12)) < 0.3).astype("float32"))
        for model in (recsys.Popularity(), recsys.ItemKNN(), recsys.EASE()):
            top = model.fit(X).recommend(np.arange(5), k=3)
            assert np.asarray(top).shape == (5, 3), (type(model).__name__, np.asarray(top).shape)

        days = pd.date_range("2011-01-01", periods=70, freq="D")
        Y = pd.DataFrame({"A": rng.poisson(5, 70), "B": rng.poisson(9, 70)}, index=days).astype(float)
        F = inventory.MovingAverage(window=7).fit(Y).predict(pd.date_range("2011-03-12", periods=7, freq="D"))
        assert F.shape == (7, 2)

        features = rng.normal(size=(200, 3))
        t = rng.integers(0, 2, 200)
        y = (rng.random(200) < 0.3 + 0.2 * t).astype(int)
        uplift = marketing.TLearner(LogisticRegression()).fit(features, t, y).predict(features)
        assert np.asarray(uplift).shape == (200,)

        texts = ["where is my order", "track my parcel", "cancel my order", "i want to cancel",
                 "refund please", "money back for my order"] * 3
        labels = ["track", "track", "cancel", "cancel", "refund", "refund"] * 3
        clf = service.TfidfIntentClassifier().fit(texts, labels)
        assert set(clf.predict(["track the parcel"])) <= set(labels)

        assert not any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules)
        print("ok")
    ''')
    assert out.strip().endswith("ok")


def test_a_keras_model_says_how_to_install_tensorflow():
    out = run_without_tensorflow('''
        import numpy as np, pandas as pd
        from retail_lab import inventory
        from retail_lab.repro import import_tensorflow

        for call in (import_tensorflow,
                     lambda: inventory.KerasGlobal(lags=7, horizon=7, epochs=1).fit(pd.DataFrame(
                         {"A": np.arange(60.0) % 7, "B": np.arange(60.0) % 5},
                         index=pd.date_range("2011-01-01", periods=60, freq="D")))):
            try:
                call()
            except ImportError as err:
                assert 'pip install "retail_lab[keras]"' in str(err), err
                assert err.name in ("tensorflow", "keras"), err.name
                print("clear")
            else:
                raise AssertionError("no ImportError without TensorFlow")
    ''')
    assert out.split() == ["clear", "clear"]
