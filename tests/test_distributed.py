"""Data-parallel Keras training (retail_lab.distributed): the two-tower model trained over
several logical CPU devices equals single-device training up to float summation order."""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from retail_lab import distributed  # noqa: E402
from retail_lab.recsys import neural  # noqa: E402

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from estimator_cases.recsys import tiny_split  # noqa: E402

#: Largest weight difference allowed between 1-device and 4-device training (2 epochs, plain
#: gradient descent). Only the order of the gradient sums differs; measured: about 2e-7.
#: (With Adam, weights whose gradient is almost zero differ by up to the learning rate: Adam
#: divides each gradient by its own size, see distributed.train_two_tower.)
WEIGHT_TOL = 1e-5


@pytest.fixture(scope="module")
def prepared():
    tt = neural.TwoTower(dim=8, hidden=16, horizon_days=30, every_days=14, span_days=200, seed=0)
    inputs, target = tt.prepare(tiny_split())
    features = {"n_countries": len(tt.countries_), "band": tt.band_, "tokens": tt.tokens_}
    return inputs, target, features


def test_four_devices_give_the_single_device_model(prepared):
    inputs, target, features = prepared
    n = len(target) - len(target) % 8
    inputs = {k: v[:n] for k, v in inputs.items()}
    r = distributed.compare_devices(inputs, target[:n], features, devices=4, dim=8, hidden=16,
                                    epochs=2, batch_size=8, dropout=0.0, seed=0,
                                    optimizer="sgd", learning_rate=0.05)
    assert r["devices"] == 4
    assert r["max_abs_weight_diff"] < WEIGHT_TOL, r
    np.testing.assert_allclose(r["loss_n"], r["loss_1"], rtol=1e-5)
    # and training did something: the loss moved
    assert r["loss_1"][0] != r["loss_1"][1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="devices"):
        distributed.compare_devices({}, np.zeros((1, 1)), {}, devices=1)
    with pytest.raises(ValueError, match="n must be"):
        distributed.configure_cpu_devices(0)
    with pytest.raises(ValueError, match="optimizer"):
        distributed.train_two_tower({}, np.zeros((1, 1)), {}, optimizer="rmsprop")
