"""The variational autoencoder in Keras 3 idioms: a Sampling layer, a Model subclass with
``train_step``/``test_step`` and Mean trackers, ``keras.ops`` and a ``SeedGenerator``.

No Lambda layer anywhere, so a saved model reloads without running code from a file.
The decoder produces logits and a separate sigmoid: the loss uses the logits (stable BCE),
users and exports get probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from vae_explorer.trainer.tf_runtime import import_tensorflow

tf = import_tensorflow()

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

from vae_explorer.trainer.model.config import RECONSTRUCTION_LOSSES, check_image_shape  # noqa: E402
from vae_explorer.trainer.model.fused_batchnorm import FusedBatchNormalization  # noqa: E402
from vae_explorer.trainer.model.presets import Preset, get_preset  # noqa: E402


@keras.saving.register_keras_serializable(package="vae_explorer")
class Sampling(layers.Layer):
    """z = mean + exp(log_var / 2) · ε with ε ~ N(0, I), drawn from a seeded generator."""

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any, rows: tuple[Any, Any] | None = None) -> Any:
        """``rows`` = (global batch size, first row): a replica of a data-parallel step draws ε
        for the whole global batch and keeps its own rows, so every image gets the ε that a
        one-process run would give it and the replicas' seed states advance in step."""
        z_mean, z_log_var = inputs
        if rows is None:
            eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        else:
            total, start = rows
            eps = keras.random.normal((total, ops.shape(z_mean)[1]), seed=self.seed_generator)
            eps = eps[start : start + ops.shape(z_mean)[0]]
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def padded_shape(image_shape: Sequence[int], preset: Preset) -> tuple[int, int]:
    """H and W rounded up so that every stride-2 convolution halves them exactly."""
    step = 2 ** len(preset.filters) if preset.kind == "conv" else 1
    h, w = image_shape[:2]
    return math.ceil(h / step) * step, math.ceil(w / step) * step


def build_encoder(preset: Preset, image_shape: Sequence[int], latent_dim: int) -> Any:
    """Image → (z_mean, z_log_var)."""
    inputs = keras.Input(shape=tuple(image_shape), name="image")
    h = inputs
    if preset.kind == "conv":
        ph, pw = padded_shape(image_shape, preset)
        if (ph, pw) != tuple(image_shape[:2]):
            dh, dw = ph - image_shape[0], pw - image_shape[1]
            h = layers.ZeroPadding2D(((0, dh), (0, dw)), name="enc_pad")(h)
        for i, f in enumerate(preset.filters, 1):
            h = layers.Conv2D(
                f, preset.kernel_size, strides=2, padding="same", activation="relu", name=f"enc_conv_{i}"
            )(h)
            if preset.batchnorm:
                h = FusedBatchNormalization(name=f"enc_bn_{i}")(h)
    h = layers.Flatten(name="enc_flatten")(h)
    for i, units in enumerate(preset.hidden, 1):
        h = layers.Dense(units, activation="relu", name=f"enc_dense_{i}")(h)
        if preset.batchnorm:
            h = FusedBatchNormalization(name=f"enc_dense_bn_{i}")(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def build_decoder(preset: Preset, image_shape: Sequence[int], latent_dim: int) -> tuple[Any, Any]:
    """z → image probabilities, and z → logits (sharing the same layers)."""
    h_img, w_img, channels = image_shape
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    if preset.kind == "conv":
        ph, pw = padded_shape(image_shape, preset)
        step = 2 ** len(preset.filters)
        top = preset.filters[-1]
        for i, units in enumerate(reversed(preset.hidden[1:]), 1):
            h = layers.Dense(units, activation="relu", name=f"dec_hidden_{i}")(h)
            if preset.batchnorm:
                h = FusedBatchNormalization(name=f"dec_hidden_bn_{i}")(h)
        h = layers.Dense((ph // step) * (pw // step) * top, activation="relu", name="dec_dense")(h)
        if preset.batchnorm:
            h = FusedBatchNormalization(name="dec_dense_bn")(h)
        h = layers.Reshape((ph // step, pw // step, top), name="dec_reshape")(h)
        for i, f in enumerate(reversed(preset.filters), 1):
            h = layers.Conv2DTranspose(
                f, preset.kernel_size, strides=2, padding="same", activation="relu", name=f"dec_convT_{i}"
            )(h)
            if preset.batchnorm:
                h = FusedBatchNormalization(name=f"dec_bn_{i}")(h)
        logits = layers.Conv2DTranspose(channels, preset.kernel_size, padding="same", name="dec_logits")(h)
        if (ph, pw) != (h_img, w_img):
            logits = layers.Cropping2D(((0, ph - h_img), (0, pw - w_img)), name="dec_crop")(logits)
    else:
        for i, units in enumerate(reversed(preset.hidden), 1):
            h = layers.Dense(units, activation="relu", name=f"dec_dense_{i}")(h)
        h = layers.Dense(h_img * w_img * channels, name="dec_logits_flat")(h)
        logits = layers.Reshape((h_img, w_img, channels), name="dec_logits")(h)
    probs = layers.Activation("sigmoid", name="dec_sigmoid")(logits)
    return keras.Model(z, probs, name="decoder"), keras.Model(z, logits, name="decoder_logits")


@keras.saving.register_keras_serializable(package="vae_explorer")
class VAE(keras.Model):
    """Encoder, Sampling, decoder; loss = reconstruction + β·KL with epoch-mean trackers.

    ``kl_weight`` is a variable (not a Python float) so the trainer can warm it up between
    epochs without recompiling the step functions.
    """

    def __init__(
        self,
        preset: str = "default",
        latent_dim: int | None = None,
        image_shape: Sequence[int] = (28, 28, 1),
        beta: float = 1.0,
        reconstruction: str = "bce",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        spec = get_preset(preset)
        if reconstruction not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"reconstruction must be one of {RECONSTRUCTION_LOSSES}")
        self.preset = preset
        self.latent_dim = int(latent_dim or spec.latent_dim)
        self.image_shape = check_image_shape(image_shape)
        self.beta = float(beta)
        self.reconstruction = reconstruction
        self.seed = seed
        self.encoder = build_encoder(spec, self.image_shape, self.latent_dim)
        self.decoder, self.decoder_logits = build_decoder(spec, self.image_shape, self.latent_dim)
        self.sampling = Sampling(seed=seed, name="sampling")
        self.kl_weight = keras.Variable(self.beta, trainable=False, name="kl_weight")
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.elbo_tracker = keras.metrics.Mean(name="neg_elbo")

    @property
    def metrics(self) -> list[Any]:
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker, self.elbo_tracker]

    def build(self, input_shape: Any = None) -> None:
        # The encoder and decoder are functional models, built when they were made.
        self.built = True

    def call(self, x: Any, training: bool = False) -> Any:
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampling([z_mean, z_log_var])
        return self.decoder(z, training=training)

    def loss_terms(self, x: Any, training: bool, rows: tuple[Any, Any] | None = None) -> dict[str, Any]:
        """Per-batch means of reconstruction (summed over pixels), KL, and their weighted total.
        ``rows``: see ``Sampling.call`` (data-parallel replicas only)."""
        z_mean, z_log_var = self.encoder(x, training=training)
        z = self.sampling([z_mean, z_log_var]) if rows is None else self.sampling([z_mean, z_log_var], rows=rows)
        logits = self.decoder_logits(z, training=training)
        if self.reconstruction == "bce":
            per_pixel = ops.binary_crossentropy(x, logits, from_logits=True)
        else:
            per_pixel = ops.square(x - ops.sigmoid(logits))
        reconstruction = ops.mean(ops.sum(per_pixel, axis=(1, 2, 3)))
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl = ops.mean(ops.sum(kl, axis=1))
        total = reconstruction + ops.cast(self.kl_weight, kl.dtype) * kl
        return {"loss": total, "reconstruction_loss": reconstruction, "kl_loss": kl, "neg_elbo": reconstruction + kl}

    def update_trackers(self, terms: dict[str, Any], batch_size: Any) -> None:
        """Weight each batch by its size, so epoch means are exact with a short last batch."""
        for tracker in self.metrics:
            tracker.update_state(terms[tracker.name], sample_weight=batch_size)

    def train_step(self, data: Any) -> dict[str, Any]:
        """One gradient step. ``fit`` calls it, and so does the trainer's compiled step, which
        reports each batch's own terms (``batch_loss``...) beside the trackers' epoch means."""
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            terms = self.loss_terms(x, training=True)
        grads = tape.gradient(terms["loss"], self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        self.update_trackers(terms, ops.shape(x)[0])
        return {**{m.name: m.result() for m in self.metrics}, **{f"batch_{k}": v for k, v in terms.items()}}

    def test_step(self, data: Any) -> dict[str, Any]:
        """Loss terms without a gradient step, into the trackers: ``evaluate`` and the trainer's
        held-out evaluation both call it."""
        x = data[0] if isinstance(data, tuple) else data
        self.update_trackers(self.loss_terms(x, training=False), ops.shape(x)[0])
        return {m.name: m.result() for m in self.metrics}

    def random_state(self) -> list[Any]:
        """Variables that are neither weights nor optimizer state but still steer training: the
        Sampling layer's seed-generator state, which advances with every draw of ε."""
        return [self.sampling.seed_generator.state]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "preset": self.preset,
            "latent_dim": self.latent_dim,
            "image_shape": list(self.image_shape),
            "beta": self.beta,
            "reconstruction": self.reconstruction,
            "seed": self.seed,
        }


def build_vae(
    preset: str = "default",
    latent_dim: int | None = None,
    image_shape: Sequence[int] = (28, 28, 1),
    beta: float = 1.0,
    reconstruction: str = "bce",
    seed: int | None = None,
    learning_rate: float = 1e-3,
) -> VAE:
    """A compiled VAE (Adam) whose optimizer variables exist, ready to train or to load into."""
    vae = VAE(preset, latent_dim, image_shape, beta, reconstruction, seed, name="vae")
    vae.build((None, *vae.image_shape))
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    vae.optimizer.build(vae.trainable_weights)
    return vae
