"""Training on real MNIST: the loss falls, results repeat, stop/pause/resume and NaN behave."""

import threading

import numpy as np
import pytest

from vae_explorer.trainer.errors import DatasetError, UserError
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.training.compiled import HeldOutEvaluator
from vae_explorer.trainer.training.loop import Trainer
from vae_explorer.trainer.training.reports import TrainingListener


class Recorder(TrainingListener):
    def __init__(self):
        self.batches, self.epochs = [], []

    def on_batch(self, r):
        self.batches.append(r)

    def on_epoch(self, r):
        self.epochs.append(r)


def test_loss_falls_on_real_data_and_reports_plain_numbers(mnist_small):
    rec = Recorder()
    config = TrainConfig(preset="tutorial", epochs=3, batch_size=32, learning_rate=3e-3, seed=1)
    result = Trainer(config, mnist_small, listener=rec, encode_each_epoch=True).run()
    assert result.status == "finished" and result.epochs_done == 3
    assert len(rec.batches) == 3 * 8
    first, last = rec.epochs[0], rec.epochs[-1]
    assert last.loss < first.loss * 0.85
    assert last.val_neg_elbo < first.val_neg_elbo
    for r in rec.batches + rec.epochs:
        for key in ("loss", "reconstruction_loss", "kl_loss", "images_per_second", "eta"):
            assert type(getattr(r, key)) is float
    assert first.latent_means.shape == (64, 2) and isinstance(first.latent_means, np.ndarray)
    # the epoch total is reconstruction + β·KL (β = 1, no warm-up)
    assert last.loss == pytest.approx(last.reconstruction_loss + last.kl_loss, rel=1e-4)
    assert last.val_neg_elbo == pytest.approx(last.val_reconstruction_loss + last.val_kl_loss, rel=1e-4)
    assert len(result.history) == 3 and result.history[-1]["epoch"] == 3


def test_same_seed_same_result(mnist_small):
    def run():
        t = Trainer(TrainConfig(preset="tutorial", epochs=1, batch_size=64, seed=5), mnist_small)
        t.run()
        return [w.numpy() for w in t.model.weights]

    a, b = run(), run()
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_kl_warmup_ramps_beta():
    config = TrainConfig(preset="tutorial", beta=2.0, kl_warmup_epochs=4)
    assert [config.kl_weight(e) for e in range(5)] == [0.5, 1.0, 1.5, 2.0, 2.0]


def test_stop_takes_effect_within_one_batch(mnist_small):
    class StopAtThird(Recorder):
        def on_batch(self, r):
            super().on_batch(r)
            if len(self.batches) == 3:
                trainer.request_stop()

    rec = StopAtThird()
    trainer = Trainer(TrainConfig(preset="tutorial", epochs=5, batch_size=32), mnist_small, listener=rec)
    result = trainer.run()
    assert result.status == "stopped"
    assert len(rec.batches) == 3


def test_pause_blocks_and_resume_continues(mnist_small):
    paused_at = threading.Event()

    class PauseAtSecond(Recorder):
        def on_batch(self, r):
            super().on_batch(r)
            if len(self.batches) == 2:
                trainer.pause()
                paused_at.set()

    rec = PauseAtSecond()
    trainer = Trainer(TrainConfig(preset="tutorial", epochs=1, batch_size=32), mnist_small, listener=rec)
    thread = threading.Thread(target=trainer.run)
    thread.start()
    assert paused_at.wait(60)
    thread.join(0.5)
    assert thread.is_alive() and len(rec.batches) == 2 and trainer.paused
    trainer.resume()
    thread.join(60)
    assert not thread.is_alive() and len(rec.batches) == 8


def test_nan_loss_stops_and_keeps_last_good_weights(mnist_small):
    trainer = Trainer(TrainConfig(preset="dense", epochs=1, batch_size=32, seed=2), mnist_small)
    trainer.run()
    good = [w.numpy() for w in trainer.model.weights]
    evaluator = HeldOutEvaluator(trainer.model)
    good_elbo = evaluator(mnist_small.x_test)["neg_elbo"]
    absurd = Trainer(
        TrainConfig(preset="dense", epochs=3, batch_size=32, learning_rate=1e12),
        mnist_small,
        model=trainer.model,
        history=trainer.history,
    )
    result = absurd.run()
    assert result.status == "diverged"
    assert "lower learning rate" in result.message
    assert result.epochs_done == 1
    for w, g in zip(trainer.model.weights, good, strict=True):
        np.testing.assert_array_equal(w.numpy(), g)
    assert np.isfinite(evaluator(mnist_small.x_test)["neg_elbo"])
    assert evaluator(mnist_small.x_test)["neg_elbo"] == pytest.approx(good_elbo, rel=0.05)


def test_continue_training_keeps_epoch_count_and_optimizer(mnist_small):
    first = Trainer(TrainConfig(preset="tutorial", epochs=1, batch_size=32), mnist_small)
    first.run()
    steps = int(first.model.optimizer.iterations.numpy())
    second = Trainer(
        TrainConfig(preset="tutorial", epochs=1, batch_size=32), mnist_small, model=first.model, history=first.history
    )
    result = second.run()
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert int(first.model.optimizer.iterations.numpy()) == 2 * steps


def test_model_and_data_must_agree(mnist_small):
    from vae_explorer.trainer.training.compiled import new_model

    model = new_model(TrainConfig(preset="tutorial"), (32, 32, 3))
    with pytest.raises(DatasetError, match=r"holds \(28, 28, 1\) images but the model takes \(32, 32, 3\)"):
        Trainer(TrainConfig(preset="tutorial"), mnist_small, model=model)


@pytest.mark.parametrize(
    "bad",
    [
        dict(latent_dim=0),
        dict(batch_size=0),
        dict(learning_rate=-1),
        dict(preset="nope"),
        dict(reconstruction="l1"),
        dict(beta=-1),
        dict(seed=-1),
    ],
)
def test_bad_settings_are_user_errors(bad):
    with pytest.raises(UserError):
        TrainConfig(**bad)


def test_resuming_from_a_saved_file_is_bit_exact(mnist_small, tmp_path):
    """Two straight epochs == one epoch, save, load in a new model, one more epoch: every weight
    (BatchNorm statistics included), the Adam state, the sampler's random state and the losses."""
    from dataclasses import replace

    from vae_explorer.trainer.files.modelfile import load_model, save_model

    config = TrainConfig(preset="tutorial", epochs=2, batch_size=64, seed=5)
    straight = Trainer(config, mnist_small)
    straight.run()
    one = replace(config, epochs=1)
    first = Trainer(one, mnist_small)
    result = first.run()
    save_model(tmp_path / "m.h5", first.model, one, result.history, mnist_small.describe())
    loaded = load_model(tmp_path / "m.h5")
    resumed = Trainer(one, mnist_small, model=loaded.model, history=loaded.history)
    resumed.run()
    assert len(straight.model.variables) > len(straight.model.weights)  # the seed state is not a weight
    for a, b in zip(straight.model.variables, resumed.model.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    for a, b in zip(straight.model.optimizer.variables, resumed.model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    for key in ("loss", "reconstruction_loss", "kl_loss", "val_loss", "val_neg_elbo"):
        assert [h[key] for h in straight.history] == [h[key] for h in resumed.history], key


def test_the_shuffle_order_depends_on_seed_and_epoch_only(mnist_small):
    from vae_explorer.trainer.training.memory import epoch_order

    np.testing.assert_array_equal(epoch_order(5, 3, 100), epoch_order(5, 3, 100))
    assert sorted(epoch_order(5, 3, 100)) == list(range(100))
    assert not np.array_equal(epoch_order(5, 3, 100), epoch_order(5, 4, 100))
    assert not np.array_equal(epoch_order(5, 3, 100), epoch_order(6, 3, 100))


def test_kl_warmup_weight_is_the_one_each_training_batch_uses(mnist_small):
    """Inside training: every batch's loss is reconstruction + w·KL with this epoch's warm-up w."""
    seen = []

    class Spy(TrainingListener):
        def on_batch(self, r):
            seen.append((r.epoch, float(trainer.model.kl_weight.numpy()), r))

    config = TrainConfig(preset="dense", beta=2.0, kl_warmup_epochs=3, epochs=4, batch_size=128, seed=1)
    trainer = Trainer(config, mnist_small, listener=Spy())
    trainer.run()
    weights = {epoch: sorted({w for e, w, _ in seen if e == epoch}) for epoch in (1, 2, 3, 4)}
    assert weights == {1: [pytest.approx(2 / 3)], 2: [pytest.approx(4 / 3)], 3: [2.0], 4: [2.0]}
    for _, w, r in seen:
        assert r.kl_loss > 0.1
        assert r.loss == pytest.approx(r.reconstruction_loss + w * r.kl_loss, rel=1e-5)
    assert [h["kl_weight"] for h in trainer.history] == pytest.approx([2 / 3, 4 / 3, 2.0, 2.0])


def test_the_compiled_steps_are_the_models_train_step_and_test_step(mnist_small, monkeypatch):
    from vae_explorer.trainer.model.vae import VAE

    traced = []
    for name in ("train_step", "test_step"):
        original = getattr(VAE, name)
        monkeypatch.setattr(VAE, name, lambda self, data, _o=original, _n=name: traced.append(_n) or _o(self, data))
    trainer = Trainer(TrainConfig(preset="dense", epochs=1, batch_size=64, seed=2), mnist_small)
    assert sorted(set(traced)) == ["test_step", "train_step"]  # traced into the compiled graphs
    assert trainer.run().status == "finished"


def test_a_continued_config_keeps_the_architecture_and_takes_new_settings():
    """One rule for the app's *Continue training* and ``train --resume``."""
    from vae_explorer.trainer.errors import UserError
    from vae_explorer.trainer.model.config import TrainConfig

    saved = TrainConfig(preset="tutorial", epochs=30, seed=4)
    more = saved.continued(epochs=3, learning_rate=5e-4, beta=0.5, preset="tutorial", latent_dim=None)
    assert (more.epochs, more.learning_rate, more.beta, more.seed, more.latent_dim) == (3, 5e-4, 0.5, 4, 2)
    for change, text in (
        ({"latent_dim": 8}, "latent dim 8 differs from the model's 2"),
        ({"preset": "dense"}, "preset dense differs from the model's tutorial"),
    ):
        with pytest.raises(UserError, match=text):
            saved.continued(**change)


def test_epoch_images_per_second_counts_the_batches_not_the_held_out_evaluation(mnist_small):
    """Like ``fit``'s clock, the epoch's images/s stops at the last batch: a held-out evaluation
    made 1 s slower is not in it. Checked against the epoch's own wall time (the second, warm
    epoch), so the test holds however loaded the machine is."""
    import time

    ends = []

    class Clocked(Recorder):
        def on_epoch(self, r):
            super().on_epoch(r)
            ends.append(time.perf_counter())

    rec = Clocked()
    trainer = Trainer(TrainConfig(preset="dense", epochs=2, batch_size=32), mnist_small, listener=rec)
    evaluate = trainer.steps.held_out

    def slow_evaluate():
        time.sleep(1.0)
        return evaluate()

    trainer.steps.held_out = slow_evaluate
    trainer.run()
    epoch_seconds = ends[1] - ends[0]  # the second epoch's batches, its slow evaluation, its report
    batch_seconds = len(mnist_small.x_train) / rec.epochs[-1].images_per_second
    assert epoch_seconds - batch_seconds >= 0.95  # the evaluation's second is not in the images/s
    assert batch_seconds > 0
