"""Shared fixtures: small real MNIST, a trained model file, and headless Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

SMALL_TRAIN, SMALL_TEST = 256, 64


@pytest.fixture(scope="session")
def mnist():
    from trainer.data import load_dataset

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
    np.savez(path, x_train=mnist_small.x_train, y_train=mnist_small.y_train,
             x_test=mnist_small.x_test, y_test=mnist_small.y_test)
    return path


@pytest.fixture(scope="session")
def trained_file(tmp_path_factory, mnist_small):
    """A `tutorial` model trained for two short epochs and saved: (path, TrainResult)."""
    from trainer.config import TrainConfig
    from trainer.modelfile import save_model
    from trainer.training import Trainer

    config = TrainConfig(preset="tutorial", epochs=2, batch_size=32, seed=3)
    trainer = Trainer(config, mnist_small)
    result = trainer.run()
    path = tmp_path_factory.mktemp("models") / "tutorial.h5"
    codes = trainer.latent.codes(mnist_small.x_test, mnist_small.y_test)
    save_model(path, trainer.model, config, result.history, mnist_small.describe(), codes)
    return path, result
