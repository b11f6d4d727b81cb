"""Keras training past one device: the two-tower model trained data-parallel.

Data parallelism keeps a full copy of the model on every device (here: logical CPU devices
of one machine; on a cluster: GPUs of one or more hosts), splits each batch of examples
across the copies, and adds up their gradients before every update, so all copies take
the same step. With the same initial weights, the same batches and no random layer
(dropout 0), the result is the single-device model up to the order in which the
floating-point gradient sums are added (with plain gradient descent; Adam magnifies those
last-bit differences in weights whose gradient is almost zero, see :func:`train_two_tower`).

Why ``tf.distribute.MirroredStrategy`` and not ``keras.distribution.DataParallel``
--------------------------------------------------------------------------------------
Keras 3's distribution API (``keras.distribution.DataParallel``, ``DeviceMesh``) is the
backend-neutral way, but in the installed Keras (3.15) it is implemented for the JAX
backend only: the TensorFlow backend's ``keras/src/backend/tensorflow/distribution_lib.py``
opens with "DO NOT USE", its ``distribute_value`` is an empty stub and no TensorFlow code
path reads the distribution when training. The book runs Keras on TensorFlow, so it uses
TensorFlow's own data-parallel strategy, which ``Model.fit`` supports directly: build and
compile the model inside ``strategy.scope()``, then call ``fit`` as usual. On JAX, the same
model would be trained with ``keras.distribution.set_distribution(DataParallel(devices))``.

Logical devices
---------------
A machine's CPU is one TensorFlow device; :func:`configure_cpu_devices` splits it into
several logical ones. That must happen before TensorFlow starts its runtime (before any
tensor is created), so :func:`compare_devices` trains in a fresh Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["configure_cpu_devices", "train_two_tower", "compare_devices"]


def configure_cpu_devices(n: int) -> list[str]:
    """Split the CPU into ``n`` logical TensorFlow devices; return their names.

    Raises
    ------
    RuntimeError
        TensorFlow's runtime is already running in this process (devices are fixed then);
        call this first, in a fresh process (see :func:`compare_devices`).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer (logical devices), got {n!r}")
    from .repro import import_tensorflow

    tf = import_tensorflow()
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(int(n))])
    except RuntimeError as err:
        raise RuntimeError("TensorFlow's devices are already initialised in this process; "
                           "configure logical devices in a fresh process (compare_devices does)"
                           ) from err
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def train_two_tower(inputs: dict, target: np.ndarray, features: dict, *, devices: int = 1,
                    dim: int = 32, hidden: int = 64, dropout: float = 0.0, epochs: int = 2,
                    batch_size: int = 256, learning_rate: float = 2e-3, optimizer: str = "adam",
                    seed: int = 0) -> dict:
    """Train :func:`retail_lab.recsys.neural.two_tower_model` on ``devices`` devices.

    ``devices=1``: plain ``Model.fit`` on the first CPU device. ``devices > 1``:
    ``tf.distribute.MirroredStrategy`` over the first ``devices`` logical CPU devices
    (configured with :func:`configure_cpu_devices`); ``batch_size`` is the global batch,
    each device computes ``batch_size / devices`` examples of it. Batches are taken in order
    (no shuffling) and the initial weights come from ``seed``, so two runs differ only by
    the device count.

    Parameters
    ----------
    inputs, target
        From :meth:`retail_lab.recsys.neural.TwoTower.prepare`.
    optimizer : {"adam", "sgd"}, default "adam"
        Adam (as :class:`~retail_lab.recsys.neural.TwoTower`) or plain gradient descent. To
        show that data parallelism gives the single-device model, use "sgd": Adam divides
        each gradient by its own running size, so a weight whose gradient is almost zero
        moves by up to a full ``learning_rate`` in whichever direction the last bits of the
        gradient sum tip it, and the two runs' weights differ by about ``learning_rate``
        there although they computed the same gradients up to rounding.
    features : dict
        ``n_countries``, ``band``, ``tokens``: what :func:`two_tower_model` needs
        (``len(model.countries_)``, ``model.band_``, ``model.tokens_`` after ``prepare``).

    Returns
    -------
    dict
        ``weights`` (list of arrays), ``loss`` (per epoch), ``devices``.
    """
    from .recsys.neural import two_tower_model
    from .repro import import_tensorflow

    tf = import_tensorflow()
    import keras

    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if batch_size % devices:
        raise ValueError(f"batch_size {batch_size} must be a multiple of devices {devices}")

    def build():
        keras.utils.set_random_seed(seed)
        model = two_tower_model(features["n_countries"], features["band"], features["tokens"],
                                dim=dim, hidden=hidden, dropout=dropout)
        opt = (keras.optimizers.Adam(learning_rate) if optimizer == "adam"
               else keras.optimizers.SGD(learning_rate))
        model.compile(optimizer=opt,
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True))
        return model

    if devices == 1:
        with tf.device("/cpu:0"):
            model = build()
            h = model.fit(inputs, target, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    else:
        names = [d.name for d in tf.config.list_logical_devices("CPU")][:devices]
        if len(names) < devices:
            raise RuntimeError(f"{devices} devices asked, {len(names)} configured; call "
                               f"configure_cpu_devices({devices}) first, in a fresh process")
        strategy = tf.distribute.MirroredStrategy(
            names, cross_device_ops=tf.distribute.ReductionToOneDevice(reduce_to_device=names[0]))
        with strategy.scope():
            model = build()
        data = tf.data.Dataset.from_tensor_slices((inputs, target)).batch(batch_size)
        opts = tf.data.Options()
        opts.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        h = model.fit(data.with_options(opts), epochs=epochs, verbose=0)
    return {"weights": [np.asarray(w) for w in model.get_weights()],
            "loss": [float(v) for v in h.history["loss"]], "devices": devices}


def _worker(path: str) -> None:
    """Subprocess entry: configure devices, train on 1 and on n, write the comparison."""
    data = np.load(path, allow_pickle=False)
    cfg = json.loads(str(data["config"]))
    n = int(cfg.pop("devices"))
    configure_cpu_devices(n)
    inputs = {k: data[f"in_{k}"] for k in ("history", "country", "rfm")}
    features = {"n_countries": int(data["n_countries"]), "band": data["band"], "tokens": data["tokens"]}
    import time

    out = {}
    for d in (1, n):
        t0 = time.perf_counter()
        r = train_two_tower(inputs, data["target"], features, devices=d, **cfg)
        out[d] = (r, time.perf_counter() - t0)
    (one, s1), (many, sn) = out[1], out[n]
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(one["weights"], many["weights"]))
    scale = max(float(np.max(np.abs(a))) for a in one["weights"])
    result = {"devices": n, "loss_1": one["loss"], "loss_n": many["loss"],
              "max_abs_weight_diff": diff, "max_abs_weight": scale,
              "seconds_1": s1, "seconds_n": sn, "n_weights": int(sum(w.size for w in one["weights"]))}
    Path(path).with_suffix(".json").write_text(json.dumps(result))


def compare_devices(inputs: dict, target: np.ndarray, features: dict, *, devices: int = 4,
                    timeout: float = 600, **train_args) -> dict:
    """Train the same two-tower model on one device and data-parallel on ``devices``
    logical CPU devices, in a fresh process; return the comparison.

    Returns
    -------
    dict
        ``loss_1``, ``loss_n`` (per epoch), ``max_abs_weight_diff`` (largest difference of any
        weight between the two models), ``max_abs_weight``, ``seconds_1``, ``seconds_n``,
        ``n_weights``, ``devices``.
    """
    if isinstance(devices, bool) or not isinstance(devices, (int, np.integer)) or devices < 2:
        raise ValueError(f"devices must be an integer >= 2, got {devices!r}")
    from .repro import numeric_env

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, target=np.asarray(target, np.float32),
                 **{f"in_{k}": np.asarray(v) for k, v in inputs.items()},
                 n_countries=np.int64(features["n_countries"]), band=np.asarray(features["band"]),
                 tokens=np.asarray(features["tokens"], np.float32),
                 config=json.dumps({"devices": int(devices), **train_args}))
        env = {**os.environ, **numeric_env()}
        proc = subprocess.run([sys.executable, "-c",
                               "import sys; from retail_lab.distributed import _worker; _worker(sys.argv[1])",
                               path], env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"data-parallel training failed:\n{proc.stderr[-3000:]}")
        return json.loads(Path(path).with_suffix(".json").read_text())
