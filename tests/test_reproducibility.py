"""The book's numbers do not depend on the CPU: its numeric configuration wins over the host's.

A second machine is not needed to test this. The matrix-multiply kernel TensorFlow runs is
chosen by the instruction-set level oneDNN may use; a host can lower it (or raise it) with
``ONEDNN_MAX_CPU_ISA``. Running the same Keras training once in a clean environment and once
with the host presetting another level must give bit-identical weights, because the book pins
the level (``retail_lab.repro.NUMERIC_ENV``). Without the pin the two runs differ in the last
bits, as they do between an AVX-512 and an AVX2 machine.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from retail_lab import repro

# Keras training whose weights are sensitive to the matmul kernel: 64 inputs, 128 hidden units.
_TRAIN = """
import numpy as np
rng = np.random.default_rng(0)
X = rng.normal(size=(1024, 64)).astype("float32")
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype("float32")
model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy")
model.fit(X, y, epochs=2, batch_size=64, verbose=0)
w = np.concatenate([v.ravel() for v in model.get_weights()])
print("WEIGHTS", w.tobytes().hex()[:64], repr(float(w.astype("float64").sum())))
"""

# the chapters' path: set_seed first, then Keras
_VIA_SET_SEED = "from retail_lab import set_seed\nset_seed(0)\nimport keras\n" + _TRAIN
# the package's path: any retail_lab model imports TensorFlow through import_tensorflow
_VIA_PACKAGE = ("from retail_lab.repro import import_tensorflow\nimport_tensorflow()\nimport keras\n"
                "keras.utils.set_random_seed(0)\n" + _TRAIN)

# what a host might have set: another instruction-set cap, other thread counts
_HOSTILE_HOSTS = {
    "SSE41 cap": {"ONEDNN_MAX_CPU_ISA": "SSE41", "DNNL_MAX_CPU_ISA": "SSE41"},
    "AVX-512 allowed, 1 thread": {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "TF_NUM_INTRAOP_THREADS": "1",
                                  "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"},
}


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in repro.NUMERIC_ENV and k != "OMP_NUM_THREADS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"  # quiet, and not a numeric setting
    return env


def _run(code: str, extra: dict[str, str]) -> str:
    env = {**_clean_env(), **extra}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("WEIGHTS")]
    assert len(lines) == 1, out.stdout
    return lines[0]


@pytest.mark.parametrize("code", [_VIA_SET_SEED, _VIA_PACKAGE], ids=["set_seed", "import_tensorflow"])
def test_keras_training_is_identical_whatever_the_host_presets(code):
    clean = _run(code, {})
    for name, host in _HOSTILE_HOSTS.items():
        assert _run(code, host) == clean, f"host setting {name} changed the trained weights"


def test_the_host_setting_matters_without_the_pin():
    """The control: with no pin, the same training differs between kernel levels, so the test
    above would catch a configuration that no longer wins."""
    plain = "import os\nimport keras\nkeras.utils.set_random_seed(0)\n" + _TRAIN
    a = _run(plain, {"ONEDNN_MAX_CPU_ISA": "SSE41"})
    b = _run(plain, {"ONEDNN_MAX_CPU_ISA": "AVX2"})
    if a == b:
        pytest.skip("this CPU gives the same weights with SSE4.1 and AVX2 kernels")
    assert a != b


def test_pin_overrides_host_values_and_reports_them(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    monkeypatch.setattr(repro, "_tensorflow_loaded", lambda: False)
    changed = repro.pin_numerics()
    assert changed["ONEDNN_MAX_CPU_ISA"] == "SSE41"
    assert "DNNL_MAX_CPU_ISA" not in changed  # unset before: set, not "overridden"
    assert all(os.environ[k] == v for k, v in repro.NUMERIC_ENV.items())


def test_pin_refuses_when_tensorflow_was_loaded_with_other_settings(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE")
    monkeypatch.setattr(repro, "_tensorflow_loaded", lambda: True)
    with pytest.raises(RuntimeError, match="Restart the kernel"):
        repro.pin_numerics()


def test_every_execution_path_uses_the_one_configuration():
    """nbval (conftest), the executor and benchmark (nbrun), the chapters (set_seed) and the
    package (import_tensorflow) all read repro.NUMERIC_ENV; nothing else sets these variables."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert "numeric_env()" in (root / "conftest.py").read_text()
    assert "numeric_env()" in (root / "tools" / "nbrun.py").read_text()
    src = (root / "retail_lab" / "repro.py").read_text()
    assert src.count("pin_numerics()") >= 2  # in import_tensorflow and in set_seed
    for path in list((root / "retail_lab").rglob("*.py")) + list((root / "tools").glob("*.py")):
        if path.name == "repro.py":
            continue
        text = path.read_text()
        for key in repro.NUMERIC_ENV:
            assert f'"{key}"' not in text, f"{path.relative_to(root)} sets {key} itself"


def test_the_package_imports_tensorflow_only_through_import_tensorflow():
    """Any `import keras` / `import tensorflow` in retail_lab comes after an
    import_tensorflow() call in the same function, so the configuration is pinned first."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "retail_lab"
    bare = []
    for path in root.rglob("*.py"):
        if path.name == "repro.py":
            continue
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                continue
            body = fn.body
            pinned = False
            for stmt in body:
                calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
                if any(getattr(c.func, "id", getattr(c.func, "attr", "")) in ("import_tensorflow", "_keras")
                       for c in calls):
                    pinned = True
                names = []
                if isinstance(stmt, ast.Import):
                    names = [a.name.split(".")[0] for a in stmt.names]
                elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                    names = [stmt.module.split(".")[0]]
                if {"keras", "tensorflow"} & set(names) and not pinned:
                    bare.append(f"{path.relative_to(root.parent)}:{stmt.lineno}")
    assert bare == [], f"TensorFlow/Keras imported before import_tensorflow(): {bare}"


# ---- numbers shown at their displayed precision ---------------------------------------------

@pytest.mark.parametrize("value, spec, expected", [
    (0.7559594353594519, ".3f", 0.756),
    (0.7559590289327071, ".3f", 0.756),  # the other CPU's value: same stored number
    (0.19611279467426085, "+.1%", 0.196),
    (0.0007502078884063905, ".1e", 0.00075),
    (0.0007502036242575594, ".1e", 0.00075),
    (7.6589563651531245, ".2f", 7.66),
    (12345.678, ",.0f", 12346.0),
    (0.517, ".1%", 0.517),
    (-0.07699572312078187, "+.0%", -0.08),
])
def test_shown_rounds_to_what_the_text_displays(value, spec, expected):
    got = repro.shown(value, spec)
    assert got == expected
    assert format(got, spec) == format(value, spec)  # the prose reads the same


def test_shown_keeps_integers_and_non_finite_values():
    assert repro.shown(np.int64(4372), ",") == 4372 and type(repro.shown(np.int64(3), ",")) is int
    assert np.isnan(repro.shown(float("nan"), ".3f"))
    assert repro.shown(float("inf"), ".1%") == float("inf")
    with pytest.raises(TypeError):
        repro.shown("0.5", ".3f")
    with pytest.raises(TypeError):
        repro.shown(True, ".3f")


def test_blas_threads_pinned():
    from threadpoolctl import threadpool_info

    repro.pin_numerics()
    for pool in threadpool_info():
        if pool["user_api"] in ("blas", "openmp"):
            assert pool["num_threads"] == repro.BLAS_THREADS

