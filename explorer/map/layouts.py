"""Map layouts: how the held-out codes are laid out on the plane, and what the axes are called.

Each entry of ``LAYOUTS`` builds a projection (``to_plane``/``from_plane``/``kind``, e.g.
``trainer.model.space.Projection``) from the codes and the ``MapState``. A new map mode (another
linear layout, or a non-linear one with an inverse map) is one more entry here; the
controller and the exports only ever use the projection's interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from vae_explorer.trainer.maps.projection import Projection


@dataclass(frozen=True)
class Layout:
    build: Callable  # (means N×D, state: MapState, previous projection | None) -> projection
    axis_names: Callable  # (projection, state) -> (x name, y name)


def _pca(means, state, previous):
    projection = Projection(means)
    if previous is not None and projection.kind == "pca" and getattr(previous, "kind", None) == "pca" \
            and previous.basis.shape == projection.basis.shape:
        signs = np.sign(np.sum(projection.basis * previous.basis, axis=1))
        projection.basis *= np.where(signs == 0, 1, signs)[:, None]  # no flipping between epochs
    return projection


def _pca_names(projection, state):
    return ("z[0]", "z[1]") if projection.kind == "identity" else ("PCA 1", "PCA 2")


def _dims(means, state, previous):
    """Two chosen dimensions, shown as they are: ``z[d]``, not ``z[d] − mean``.

    ``Projection`` centres every coordinate on the mean; zeroing the centre of the two shown
    dimensions keeps the others held at the mean when going back from the plane.
    """
    projection = Projection(means, tuple(state.dims))
    projection.center = np.array(projection.center, np.float64)
    projection.center[list(state.dims)] = 0.0
    return projection


def _dims_names(projection, state):
    return f"z[{state.dims[0]}]", f"z[{state.dims[1]}]"


def _tsne(means, state, previous):
    """The newest t-SNE layout of this model (``TSNEService`` computes it in the background);
    until the first one arrives, the PCA plane stands in."""
    return state.tsne if state.tsne is not None else _pca(means, state, previous)


def _tsne_names(projection, state):
    return ("t-SNE 1", "t-SNE 2") if projection.kind == "tsne" else _pca_names(projection, state)


LAYOUTS: dict[str, Layout] = {"tsne": Layout(_tsne, _tsne_names), "pca": Layout(_pca, _pca_names),
                              "dims": Layout(_dims, _dims_names)}


def effective_layout(state, latent_dim: int) -> str:
    """Above two latent dimensions, the chosen layout; at two or fewer the latent plane itself."""
    return state.layout if latent_dim > 2 else "pca"


def build(state, means) -> tuple[object, tuple[str, str]]:
    """The projection for ``means`` under the state's layout, and the axis names."""
    means = np.asarray(means)
    layout = LAYOUTS[effective_layout(state, means.shape[1])]
    projection = layout.build(means, state, state.projection)
    if means.shape[1] == 1:
        return projection, ("z[0]", "(none)")
    return projection, layout.axis_names(projection, state)
