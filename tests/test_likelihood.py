"""The importance-weighted bound against the truth: for a 1-D latent, log p(x) by quadrature.

The model is trained ~100 steps on 256 images. Its encoder is then close enough to the true
posterior on the images it was trained on for 5,000 samples to reach the integral; on held-out
images of so small a training set it is not (the amortisation gap is several nats and needs far
more samples), so the convergence is checked on training images and only the bound property on
held-out ones: the estimator is under test here, not the model.
"""

from __future__ import annotations

import numpy as np
import pytest

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.latent.likelihood import (
    ImportanceWeighted,
    binarize,
    bits_per_dim,
    likelihood_figures,
    logmeanexp,
)
from vae_explorer.trainer.model.config import TrainConfig

N_IMAGES = 64


@pytest.fixture(scope="module")
def model_1d(mnist_small):
    from vae_explorer.trainer.training.loop import Trainer

    trainer = Trainer(TrainConfig(preset="dense", latent_dim=1, epochs=12, batch_size=32, seed=1), mnist_small)
    trainer.run()
    return trainer


def exact_log_px(model, x: np.ndarray, points: int = 4001, span: float = 8.0) -> np.ndarray:
    """log ∫ p(x|z) p(z) dz over z ∈ [−span, span] by the trapezoid rule, in float64."""
    z = np.linspace(-span, span, points)
    logits = model.decoder_logits(z[:, None].astype(np.float32), training=False).numpy()
    logits = logits.reshape(points, -1).astype(np.float64)
    flat = x.reshape(len(x), -1).astype(np.float64)
    log_px_z = flat @ logits.T - np.logaddexp(0.0, logits).sum(axis=1)  # N × points
    log_pz = -0.5 * (z**2 + np.log(2 * np.pi))
    log_w = np.full(points, np.log(z[1] - z[0]))
    log_w[[0, -1]] -= np.log(2.0)
    terms = log_px_z + log_pz + log_w
    top = terms.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(terms - top).sum(axis=1))


def test_bound_approaches_the_integral_and_rises_with_k(model_1d, mnist_small):
    model, x = model_1d.model, mnist_small.x_train[:N_IMAGES]
    truth = exact_log_px(model, x)
    iw = ImportanceWeighted(model)
    bounds = {k: iw.log_px(x, k, seed=5) for k in (1, 100, 5000)}
    gap = truth - bounds[5000]
    print(
        f"\nexact {truth.mean():.3f}; K=1 {bounds[1].mean():.3f}, K=100 {bounds[100].mean():.3f}, "
        f"K=5000 {bounds[5000].mean():.3f}; mean |gap| {np.abs(gap).mean():.4f}"
    )
    assert np.abs(gap).mean() < 0.5
    assert gap.mean() > -0.05  # a lower bound: never clearly above the truth on average
    assert bounds[1].mean() < bounds[100].mean() < bounds[5000].mean()
    # K = 1 is a one-sample ELBO: the analytic-KL held-out ELBO, up to sampling noise
    elbo = -model_1d.compiled.evaluate(x)["neg_elbo"]
    print(f"analytic-KL ELBO {elbo:.3f}")
    assert bounds[1].mean() == pytest.approx(elbo, abs=1.5)


def test_held_out_bound_stays_below_the_integral(model_1d, mnist_small):
    model, x = model_1d.model, mnist_small.x_test[:N_IMAGES]
    truth, bound = exact_log_px(model, x), ImportanceWeighted(model).log_px(x, 1000, seed=0)
    assert (truth - bound).mean() > 0  # the amortisation gap is not closed: still a lower bound


def test_same_seed_same_draws_and_chunking_does_not_matter(model_1d, mnist_small):
    x = mnist_small.x_train[:10]
    iw = ImportanceWeighted(model_1d.model)
    a = iw.log_weights(x, 300, seed=2)
    np.testing.assert_array_equal(a, iw.log_weights(x, 300, seed=2))
    assert not np.array_equal(a, iw.log_weights(x, 300, seed=3))
    iw.samples_per_call = 64  # many calls, several images per call and several calls per image
    chunked = iw.log_px(x, 300, seed=2)
    assert chunked.shape == (10,) and np.isfinite(chunked).all()
    assert abs(chunked.mean() - logmeanexp(a).mean()) < 0.2  # other draws, the same bound


def test_figures_per_class_and_bits_per_dim(model_1d, mnist_small):
    x, y = binarize(mnist_small.x_test[:40]), mnist_small.y_test[:40]
    assert set(np.unique(x)) <= {0.0, 1.0}
    figures = likelihood_figures(model_1d.model, x, 20, seed=0, labels=y, binarized=True)
    assert figures.likelihood == "bernoulli-binarized" and figures.iw_k == 20
    assert figures.iw_bits_per_dim == pytest.approx(figures.iw_nll / (784 * np.log(2)))
    assert sum(c["n"] for c in figures.per_class.values()) == 40
    weighted = sum(c["iw_nll"] * c["n"] for c in figures.per_class.values()) / 40
    assert weighted == pytest.approx(figures.iw_nll, rel=1e-9)
    assert set(figures.per_class) == {str(c) for c in np.unique(y)}
    assert bits_per_dim(784 * np.log(2), (28, 28, 1)) == pytest.approx(1.0)


def test_mse_models_and_bad_k_are_refused(mnist_small):
    from vae_explorer.trainer.model.vae import build_vae

    with pytest.raises(UserError, match="'mse' reconstruction, which defines none"):
        ImportanceWeighted(build_vae("dense", 2, reconstruction="mse"))
    iw = ImportanceWeighted(build_vae("dense", 2))
    with pytest.raises(UserError, match="between 1 and"):
        iw.log_px(mnist_small.x_test[:2], 0)


def test_progress_is_reported_per_call_and_should_stop_cancels(mnist_small):
    from vae_explorer.trainer.latent.likelihood import Cancelled
    from vae_explorer.trainer.model.vae import build_vae

    iw = ImportanceWeighted(build_vae("dense", 2))
    iw.samples_per_call = 4  # K = 10: 3 calls per image, one image per call
    x, seen = mnist_small.x_test[:6], []
    bound = iw.log_px(x, 10, seed=1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 18) for i in range(1, 19)]
    np.testing.assert_array_equal(bound, iw.log_px(x, 10, seed=1))  # the hooks change nothing
    calls: list = []
    with pytest.raises(Cancelled):
        iw.log_px(x, 10, seed=1, progress=lambda done, total: calls.append(done), should_stop=lambda: len(calls) >= 2)
    assert calls == [1, 2]
