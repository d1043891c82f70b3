"""The headless core of vae-explorer: datasets, the VAE, training, model files and latent maths.

Importing this package is cheap and never imports Qt: TensorFlow is loaded lazily by the
modules that need it (``trainer.model.vae``, ``trainer.training.loop``, ``trainer.model.space``...), so a
front end can show itself before TensorFlow has finished loading.
"""

__version__ = "0.1.0"
