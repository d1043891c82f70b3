"""The ``vae_explorer`` package: this folder is its root (``package-dir`` in pyproject.toml).

The repository keeps ``trainer/`` and ``explorer/`` at the top, but they install as
``vae_explorer.trainer`` and ``vae_explorer.explorer``: names of their own, so installing
this project never overwrites another distribution's ``trainer`` package. The embedded
dataset and the icon ship as this package's data.
"""

__version__ = "0.1.0"
