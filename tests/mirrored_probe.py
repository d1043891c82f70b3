"""Run by tests/test_distributed.py in a child process: the CPU split into two logical devices
(which must happen before TensorFlow starts, hence the separate process), then the same training
in one process and under a two-replica MirroredStrategy. Prints one JSON line of results."""

from __future__ import annotations

import json
import sys

from vae_explorer.trainer.tf_runtime import import_tensorflow

tf = import_tensorflow()
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np  # noqa: E402

from vae_explorer.trainer.data import load_dataset  # noqa: E402
from vae_explorer.trainer.model.config import TrainConfig  # noqa: E402
from vae_explorer.trainer.training.distributed import distributed_steps  # noqa: E402
from vae_explorer.trainer.training.loop import Trainer  # noqa: E402


def main(preset: str) -> None:
    data = load_dataset().subset(300, 100)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    config = TrainConfig(preset=preset, latent_dim=2, epochs=2, batch_size=50, seed=4)
    one = Trainer(config, data).run()
    two_trainer = Trainer(config, data, steps=distributed_steps(strategy))
    two = two_trainer.run()
    replica_copies = [[c.numpy() for c in v.value.values] for v in two_trainer.model.variables]
    stopper = Trainer(config, data, steps=distributed_steps(strategy))
    stopper.request_stop()
    stopped = stopper.run()
    steps_before = int(two_trainer.model.optimizer.iterations.numpy())
    absurd = Trainer(
        TrainConfig(preset="dense", latent_dim=2, epochs=2, batch_size=50, learning_rate=1e12),
        data,
        steps=distributed_steps(strategy),
    )
    diverged = absurd.run()
    resumed = _resumed_both_ways(data, strategy)
    print(
        json.dumps(
            {
                "sgd_step_difference": _sgd_step_difference(data, strategy),
                "resumed": resumed,
                "replicas": two_trainer.steps.replicas,
                "one": [h["val_neg_elbo"] for h in one.history],
                "two": [h["val_neg_elbo"] for h in two.history],
                "two_train": [h["loss"] for h in two.history],
                "one_train": [h["loss"] for h in one.history],
                "copies_equal": all(np.array_equal(c[0], c[1]) for c in replica_copies),
                "steps": steps_before,
                "stopped": [stopped.status, stopped.epochs_done, int(stopper.model.optimizer.iterations.numpy())],
                "diverged": [diverged.status, diverged.message],
                "codes": two_trainer.latent.codes(data.x_test).means.shape[0],
            }
        )
    )


def _sgd_step_difference(data, strategy) -> float:
    """One plain-SGD step (the size of its update follows the gradient's scale, unlike Adam's) in
    one process and under the strategy, from the same weights: the largest difference of the
    updates relative to the largest update. 1.0 or more would be a wrongly scaled loss."""
    import contextlib

    import keras

    from vae_explorer.trainer.model.vae import build_vae
    from vae_explorer.trainer.training.distributed import ReplicaGraphs

    x = data.x_train[:50]
    updates = []
    for scope in (contextlib.nullcontext(), strategy.scope()):
        with scope:
            keras.utils.set_random_seed(1)
            model = build_vae("dense", 2, data.image_shape, seed=1)
            model.compile(optimizer=keras.optimizers.SGD(0.01))
            model.optimizer.build(model.trainable_weights)
        before = [w.numpy() for w in model.trainable_weights]
        if isinstance(scope, contextlib.nullcontext):
            model.train_step(tf.constant(x))
        else:
            ReplicaGraphs(model, strategy, x, x).train(tf.range(50, dtype=tf.int32), tf.constant(0.0))
        updates.append(
            np.concatenate([(w.numpy() - b).ravel() for w, b in zip(model.trainable_weights, before, strict=True)])
        )
    return float(np.abs(updates[0] - updates[1]).max() / np.abs(updates[0]).max())


def _resumed_both_ways(data, strategy) -> list:
    """A model trained one epoch in one process and saved, continued one epoch in one process and
    under the strategy: the epoch counts and held-out -ELBOs of both, and the optimizer steps."""
    import tempfile

    from vae_explorer.trainer.files.modelfile import load_model, save_model

    config = TrainConfig(preset="dense", latent_dim=2, epochs=1, batch_size=50, seed=6)
    first = Trainer(config, data)
    first.run()
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/m.h5"
        save_model(path, first.model, config, first.history, data.describe())
        one, two = load_model(path), load_model(path)
    results = []
    for trainer in (
        Trainer(config, data, model=one.model, history=one.history),
        Trainer(config, data, steps=distributed_steps(strategy), model=two.model, history=two.history),
    ):
        history = trainer.run().history
        results.append(
            [
                [h["epoch"] for h in history],
                history[-1]["val_neg_elbo"],
                int(trainer.model.optimizer.iterations.numpy()),
            ]
        )
    return results


if __name__ == "__main__":
    main(sys.argv[1])
