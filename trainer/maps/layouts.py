"""The one registry of map layouts: how the encoded held-out set is laid out on a plane.

Every layout maps latent codes to the plane (``to_plane``) and the plane back to codes
(``from_plane``) and says whether that inverse is ``exact``. The command line (``--layout``), the
benchmarks and the app all build layouts here, under the same names:

- ``latent``: the latent plane itself (latent dim ≤ 2); exact.
- ``pca``: the first two principal components, the other coordinates at the mean; exact. Each new
  PCA plane keeps the signs of the previous one, so the map does not flip between epochs.
- ``dims``: two chosen dimensions, shown as they are (``z[d]``, not ``z[d] − mean``); exact.
- ``tsne``: a neighbour-preserving t-SNE layout (``maps.tsne``); approximate both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from vae_explorer.trainer.maps.projection import Projection

if TYPE_CHECKING:
    from vae_explorer.trainer.maps.tsne import TSNELayout

LAYOUT_NAMES = ("latent", "pca", "dims", "tsne")
MIN_TSNE_POINTS = 5  # fewer codes have no neighbourhoods to keep (openTSNE fails on them)
Layout: TypeAlias = "Projection | TSNELayout"  # what every layout offers: to_plane, from_plane, exact


@dataclass(frozen=True)
class LayoutSpec:
    """One entry of the registry: what it is called, whether it is exact, how it is built."""

    name: str
    title: str
    exact: bool
    axis_names: Callable[[tuple[int, int]], tuple[str, str]]
    tip: str


LAYOUTS: dict[str, LayoutSpec] = {
    "latent": LayoutSpec(
        "latent",
        "Latent plane",
        True,
        lambda dims: ("z[0]", "z[1]"),
        "The latent plane itself: every point of the map is one latent point.",
    ),
    "pca": LayoutSpec(
        "pca",
        "PCA",
        True,
        lambda dims: ("PCA 1", "PCA 2"),
        "The first two principal components, the other coordinates held at the mean. Exact.",
    ),
    "dims": LayoutSpec(
        "dims",
        "Two dimensions",
        True,
        lambda dims: (f"z[{dims[0]}]", f"z[{dims[1]}]"),
        "Two latent dimensions as they are, the others held at the mean. Exact.",
    ),
    "tsne": LayoutSpec(
        "tsne",
        "t-SNE (neighbours)",
        False,
        lambda dims: ("t-SNE 1", "t-SNE 2"),
        "Neighbour-preserving layout of the encoded means: classes the model separates stay "
        "apart. Approximate: a point between the data decodes through an inverse map.",
    ),
}


def default_layout_name(latent_dim: int) -> str:
    """What the map shows first: the latent plane itself when it is one, else t-SNE."""
    return "latent" if latent_dim <= 2 else "tsne"


def effective_layout_name(name: str, latent_dim: int) -> str:
    """The layout shown for the chosen ``name``: at two or fewer latent dimensions the latent
    plane is its own map, whatever was chosen."""
    return "latent" if latent_dim <= 2 else name


def check_layout(name: str, latent_dim: int, dims: tuple[int, int] | None = None) -> None:
    """A ValueError saying why ``name`` cannot lay out codes of ``latent_dim`` dimensions."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout '{name}' (choose from {', '.join(LAYOUT_NAMES)})")
    if name == "latent" and latent_dim > 2:
        raise ValueError(
            f"the latent plane needs latent dim ≤ 2 (this model has {latent_dim}): choose pca, dims or tsne"
        )
    if name == "dims" and (dims is None or len(set(dims)) != 2 or not all(0 <= d < latent_dim for d in dims)):
        raise ValueError(f"two different dimensions between 0 and {latent_dim - 1} are needed, got {dims}")
    if name == "tsne" and latent_dim < 2:
        raise ValueError("a t-SNE layout needs at least 2 latent dimensions: choose latent")


def pca_projection(means: np.ndarray, previous: Layout | None = None) -> Projection:
    """The PCA plane of ``means``, each axis signed as ``previous``'s (when that was a PCA plane
    of the same size), so that consecutive epochs' maps do not flip."""
    projection = Projection(means)
    basis = getattr(previous, "basis", None)
    same_kind = projection.kind == "pca" and getattr(previous, "kind", None) == "pca"
    if same_kind and basis is not None and basis.shape == projection.basis.shape:
        signs = np.sign(np.sum(projection.basis * basis, axis=1))
        projection.basis *= np.where(signs == 0, 1, signs)[:, None]
    return projection


def dims_projection(means: np.ndarray, dims: tuple[int, int]) -> Projection:
    """Two chosen dimensions, shown as they are: ``Projection`` centres every coordinate on the
    mean; zeroing the centre of the two shown ones keeps the others at the mean going back."""
    projection = Projection(means, (dims[0], dims[1]))
    projection.center = np.array(projection.center, np.float64)
    projection.center[list(dims)] = 0.0
    return projection


def make_layout(
    name: str,
    means: np.ndarray,
    previous: Layout | None = None,
    dims: tuple[int, int] | None = None,
    seed: int = 0,
    n_jobs: int = 1,
) -> Layout:
    """The layout called ``name`` of ``means`` (``previous``: the last layout, for warm starts and
    sign alignment); a ValueError when it does not apply to these codes."""
    means = np.asarray(means, np.float32)
    check_layout(name, means.shape[1], dims)
    if name == "tsne" and len(means) < MIN_TSNE_POINTS:
        raise ValueError(f"a t-SNE layout needs at least {MIN_TSNE_POINTS} encoded images, not {len(means)}")
    if name == "tsne":
        from vae_explorer.trainer.maps.tsne import TSNELayout

        return TSNELayout(means, previous if isinstance(previous, TSNELayout) else None, seed, n_jobs)
    if name == "dims" and dims is not None:  # check_layout refused "dims" without them
        return dims_projection(means, dims)
    return pca_projection(means, previous) if name == "pca" else Projection(means)


def plane_of(layout: Layout, means: np.ndarray) -> np.ndarray:
    """Where ``layout`` puts the codes it was built from (a t-SNE layout holds them already)."""
    plane = getattr(layout, "plane", None)
    return np.asarray(plane if plane is not None and len(plane) == len(means) else layout.to_plane(means))
