"""Shared fixtures: small real MNIST, a trained model file, and headless Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from vae_explorer.explorer.app import PAINT_ENVIRONMENT  # noqa: E402 (no Qt: only the app's settings)

for _name, _value in PAINT_ENVIRONMENT.items():  # the tests paint as the app does
    os.environ.setdefault(_name, _value)

SMALL_TRAIN, SMALL_TEST = 256, 64

# Property-based tests run a bounded, reproducible set of examples (the same ones on every run, so
# that CI is not a lottery) with no deadline per example (a loaded 2-core machine is slow, and the
# tests bound what a user would notice themselves); HYPOTHESIS_PROFILE=explore searches wider.
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def mnist():
    from vae_explorer.trainer.data import load_dataset

    return load_dataset()


@pytest.fixture(scope="session")
def mnist_small(mnist):
    """A few hundred real MNIST images: enough for a loss to fall in a few steps."""
    return mnist.subset(SMALL_TRAIN, SMALL_TEST)


@pytest.fixture(scope="session")
def small_npz(tmp_path_factory, mnist_small):
    """``mnist_small`` written as a Keras-layout .npz, for the commands that take a path."""
    import numpy as np

    path = tmp_path_factory.mktemp("data") / "small.npz"
    np.savez(
        path,
        x_train=mnist_small.x_train,
        y_train=mnist_small.y_train,
        x_test=mnist_small.x_test,
        y_test=mnist_small.y_test,
    )
    return path


def _train_and_save(config, data, path):
    """Train ``config`` on ``data`` and save it as the CLI does (with the held-out codes)."""
    from vae_explorer.trainer.files.modelfile import save_model
    from vae_explorer.trainer.training.loop import Trainer

    trainer = Trainer(config, data)
    result = trainer.run()
    codes = trainer.latent.codes(data.x_test, data.y_test)
    save_model(path, trainer.model, config, result.history, data.describe(), codes)
    return trainer, result


@pytest.fixture(scope="session")
def train_and_save():
    """``(config, data, path) -> (trainer, result)``: for the fixtures that need a saved model."""
    return _train_and_save


@pytest.fixture(scope="session")
def trained_file(tmp_path_factory, mnist_small, train_and_save):
    """A `tutorial` model trained for two short epochs and saved: (path, TrainResult)."""
    from vae_explorer.trainer.model.config import TrainConfig

    config = TrainConfig(preset="tutorial", epochs=2, batch_size=32, seed=3)
    path = tmp_path_factory.mktemp("models") / "tutorial.h5"
    _, result = train_and_save(config, mnist_small, path)
    return path, result


@pytest.fixture(scope="session")
def beta_models(tmp_path_factory, mnist):
    """The same `dense` model (latent 8), data (3,000 + 300 real images) and seed trained by
    ``train`` with β = 1 and β = 8: {β: (model file, the .npz it was trained on)}."""
    import numpy as np

    from tests.test_cli import run

    folder, data, models = tmp_path_factory.mktemp("beta"), mnist.subset(3000, 300), {}
    npz = folder / "data.npz"
    np.savez(npz, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    for beta in (1.0, 8.0):
        path = folder / f"beta{beta:g}.h5"
        args = ["--preset", "dense", "--latent-dim", "8", "--epochs", "3", "--beta", str(beta), "--seed", "0"]
        code, _, err = run(["train", "--data", str(npz), *args, "--out", str(path)])
        assert code == 0, err
        models[beta] = path, npz
    return models
