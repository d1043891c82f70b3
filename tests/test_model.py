"""Presets build the architectures they name, for any image shape and latent dimension."""

import keras
import numpy as np
import pytest

from vae_explorer.trainer.model.vae import Sampling, build_vae


def test_tutorial_matches_the_keras_tutorial_parameter_counts():
    vae = build_vae("tutorial", latent_dim=2, image_shape=(28, 28, 1))
    assert vae.encoder.count_params() == 17_208
    assert vae.decoder.count_params() == 9_137
    assert vae.encoder.count_params() + vae.decoder.count_params() == 26_345
    trainable = sum(int(np.prod(w.shape)) for w in vae.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for m in (vae.encoder, vae.decoder) for w in m.non_trainable_weights)
    assert (trainable, frozen) == (24_641, 1_704)  # BatchNorm moving means and variances
    assert [w.path for w in vae.non_trainable_weights if "moving" not in w.path] == ["kl_weight"]
    names = [layer.__class__.__name__ for layer in vae.encoder.layers]
    batchnorms = [layer for layer in vae.encoder.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert names.count("Conv2D") == 2 and len(batchnorms) == 3
    assert not any(n == "Lambda" for n in names)


@pytest.mark.parametrize("preset", ["tutorial", "dense", "default"])
@pytest.mark.parametrize("shape", [(28, 28, 1), (30, 25, 3), (9, 13, 1)])
def test_decoder_output_equals_input_shape(preset, shape):
    vae = build_vae(preset, latent_dim=3, image_shape=shape)
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    mean, log_var = vae.encoder(x)
    assert mean.shape == (2, 3) and log_var.shape == (2, 3)
    out = vae.decoder(mean).numpy()
    assert out.shape == (2, *shape)
    assert out.min() >= 0 and out.max() <= 1


def test_dcgan_shapes():
    vae = build_vae("dcgan", latent_dim=2, image_shape=(28, 28, 1))
    convs = [layer.filters for layer in vae.encoder.layers if layer.__class__.__name__ == "Conv2D"]
    assert convs == [128, 256, 512, 1024]
    assert vae.decoder(np.zeros((1, 2), "float32")).shape == (1, 28, 28, 1)


@pytest.mark.parametrize("latent_dim", [1, 2, 16])
def test_any_latent_dim(latent_dim):
    vae = build_vae("tutorial", latent_dim=latent_dim)
    assert vae.decoder(np.zeros((4, latent_dim), "float32")).shape == (4, 28, 28, 1)


@pytest.mark.parametrize(
    "shape, words",
    [((1025, 28, 1), "too large for a model"), ((28, 28, 4), "H×W×1 or H×W×3"), ((28, 0, 1), "H×W×1 or H×W×3")],
)
def test_shapes_no_model_is_built_for(shape, words):
    from vae_explorer.trainer.errors import UserError

    with pytest.raises(UserError, match=words):
        build_vae("dense", latent_dim=2, image_shape=shape)


def test_sampling_is_seeded_and_uses_the_variance():
    a = Sampling(seed=7)([np.zeros((1000, 2), "float32"), np.zeros((1000, 2), "float32")]).numpy()
    b = Sampling(seed=7)([np.zeros((1000, 2), "float32"), np.zeros((1000, 2), "float32")]).numpy()
    np.testing.assert_array_equal(a, b)
    assert 0.9 < a.std() < 1.1
    c = Sampling(seed=7)([np.full((1000, 2), 5, "float32"), np.full((1000, 2), -20, "float32")]).numpy()
    assert np.abs(c - 5).max() < 1e-3


def test_mse_loss_and_total_is_reconstruction_plus_beta_kl():
    vae = build_vae("tutorial", beta=4.0, reconstruction="mse")
    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    terms = {k: float(v) for k, v in vae.loss_terms(x, training=False).items()}
    assert terms["loss"] == pytest.approx(terms["reconstruction_loss"] + 4.0 * terms["kl_loss"], rel=1e-5)
    assert terms["reconstruction_loss"] < 28 * 28  # squared error of values in [0, 1]


@pytest.mark.parametrize("shape", [(64, 14, 14, 8), (64, 20)])
def test_fused_batchnorm_matches_keras_batchnorm(shape):
    """The fused layer is a drop-in: same outputs, moving statistics and gradients."""
    import tensorflow as tf

    from vae_explorer.trainer.model.fused_batchnorm import FusedBatchNormalization

    x = np.random.default_rng(0).normal(2, 3, shape).astype("float32")
    ref, fused = keras.layers.BatchNormalization(), FusedBatchNormalization()
    ref.build(shape)
    fused.build(shape)
    with tf.GradientTape(persistent=True) as tape:
        y_ref, y_fused = ref(x, training=True), fused(x, training=True)
        l_ref, l_fused = tf.reduce_sum(y_ref**3), tf.reduce_sum(y_fused**3)
    np.testing.assert_allclose(y_fused.numpy(), y_ref.numpy(), atol=1e-4)
    np.testing.assert_allclose(fused.moving_mean.numpy(), ref.moving_mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance.numpy(), ref.moving_variance.numpy(), rtol=1e-5)
    for g_ref, g_fused in zip(
        tape.gradient(l_ref, ref.trainable_weights), tape.gradient(l_fused, fused.trainable_weights), strict=True
    ):
        # Each entry sums thousands of terms that cancel (one came to -38.50 vs -38.54 beside
        # entries of 1,700): float32 rounding is relative to the largest, not to each entry.
        scale = float(np.abs(g_ref.numpy()).max())
        np.testing.assert_allclose(g_fused.numpy(), g_ref.numpy(), rtol=1e-3, atol=1e-4 * scale)
    np.testing.assert_allclose(fused(x, training=False).numpy(), ref(x, training=False).numpy(), atol=1e-4)


def with_fixed_noise(vae, eps: np.ndarray):
    """Replace the model's Sampling layer by one that uses ``eps`` as its N(0, I) draw."""
    from keras import ops

    class FixedNoise(keras.layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            return z_mean + ops.exp(0.5 * z_log_var) * eps

    object.__setattr__(vae, "sampling", FixedNoise())  # past Keras's tracking: the model is built
    return vae


def numpy_loss_terms(vae, x, eps, reconstruction):
    """The loss computed here in NumPy from the encoder and decoder outputs, not with Keras ops."""
    mean, log_var = (t.numpy().astype(np.float64) for t in vae.encoder(x, training=False))
    z = (mean + np.exp(0.5 * log_var) * eps).astype(np.float32)
    logits = vae.decoder_logits(z, training=False).numpy().astype(np.float64)
    xd = x.astype(np.float64)
    if reconstruction == "bce":  # -[x log σ(l) + (1-x) log(1-σ(l))], written stably
        per_pixel = np.maximum(logits, 0) - logits * xd + np.log1p(np.exp(-np.abs(logits)))
    else:
        per_pixel = (xd - 1 / (1 + np.exp(-logits))) ** 2
    rec = per_pixel.reshape(len(x), -1).sum(axis=1).mean()
    kl = (0.5 * (mean**2 + np.exp(log_var) - 1 - log_var)).sum(axis=1).mean()
    return rec, kl


@pytest.mark.parametrize("reconstruction", ["bce", "mse"])
def test_loss_terms_equal_an_independent_numpy_computation(reconstruction):
    rng = np.random.default_rng(3)
    vae = build_vae("default", latent_dim=4, beta=0.5, reconstruction=reconstruction, seed=1)
    # weights that make the KL term far from zero: means and variances away from the prior
    vae.encoder.get_layer("z_mean").bias.assign(rng.normal(0, 1.5, 4).astype("float32"))
    vae.encoder.get_layer("z_log_var").bias.assign(rng.normal(0, 1.0, 4).astype("float32"))
    x = rng.random((6, 28, 28, 1)).astype("float32")
    eps = rng.standard_normal((6, 4)).astype("float32")
    terms = {k: float(v) for k, v in with_fixed_noise(vae, eps).loss_terms(x, training=False).items()}
    rec, kl = numpy_loss_terms(vae, x, eps, reconstruction)
    assert kl > 1.0
    assert terms["reconstruction_loss"] == pytest.approx(rec, rel=1e-5)
    assert terms["kl_loss"] == pytest.approx(kl, rel=1e-5)
    assert terms["loss"] == pytest.approx(rec + 0.5 * kl, rel=1e-5)


def test_keras_fit_trains_through_train_step_and_test_step(mnist_small):
    vae = build_vae("dense", latent_dim=2, seed=0)
    logs = vae.fit(
        mnist_small.x_train, epochs=2, batch_size=64, verbose=0, validation_data=(mnist_small.x_test,)
    ).history
    assert logs["loss"][1] < logs["loss"][0]
    assert logs["neg_elbo"][1] == pytest.approx(logs["reconstruction_loss"][1] + logs["kl_loss"][1], rel=1e-4)
    assert np.isfinite(logs["val_neg_elbo"]).all()
