"""The encoder's uncertainty about one image, as an ellipse on a linear map.

The encoder gives each image a Gaussian posterior q(z|x) = N(μ, diag(σ²)), σ² = exp(log-variance).
A linear map of the latent space (the latent plane itself, two chosen dimensions, a PCA plane)
sends it to a Gaussian in the plane: centre P(μ − c), covariance P Σ Pᵀ (P: the 2×D basis of
``trainer.model.space.Projection``, c its centre). Its 1σ ellipse has the covariance's eigenvectors as
axes and the square roots of its eigenvalues as semi-axis lengths. A t-SNE layout is not linear:
there is no such ellipse, and ``posterior_ellipse`` returns None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vae_explorer.trainer.maps.layouts import Layout

OUTLINE_POINTS = 64


@dataclass
class Ellipse:
    """``center`` (2), ``semi_axes`` (2, longest first), ``angle`` of the first axis (radians
    from the plane's x axis), ``covariance`` (2×2, in the plane)."""

    center: np.ndarray
    semi_axes: np.ndarray
    angle: float
    covariance: np.ndarray

    def outline(self, n: int = OUTLINE_POINTS) -> np.ndarray:
        """(n+1)×2 points around the ellipse, closed (the last point is the first)."""
        t = np.linspace(0.0, 2.0 * np.pi, n + 1)
        c, s = np.cos(self.angle), np.sin(self.angle)
        a, b = self.semi_axes
        x, y = a * np.cos(t), b * np.sin(t)
        return np.c_[self.center[0] + c * x - s * y, self.center[1] + s * x + c * y]


def plane_covariance(log_var: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """P Σ Pᵀ for Σ = diag(exp(log_var)) and the 2×D basis P."""
    variance = np.exp(np.asarray(log_var, np.float64).reshape(-1))
    basis = np.asarray(basis, np.float64)
    return (basis * variance) @ basis.T


def ellipse_of(center: np.ndarray, covariance: np.ndarray) -> Ellipse:
    """The 1σ ellipse of a 2-D Gaussian."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, np.float64))
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0.0, None), vectors[:, order]
    angle = float(np.arctan2(vectors[1, 0], vectors[0, 0]))
    return Ellipse(np.asarray(center, np.float64).reshape(2), np.sqrt(values), angle, covariance)


def posterior_ellipse(mean: np.ndarray, log_var: np.ndarray, projection: Layout) -> Ellipse | None:
    """The 1σ ellipse of N(mean, diag(exp(log_var))) on the map ``projection`` shows, or None
    when the map is not a linear image of the latent space (t-SNE) or has no second axis."""
    basis = getattr(projection, "basis", None)
    if basis is None or not getattr(projection, "exact", False) or getattr(projection, "latent_dim", 2) < 2:
        return None
    center = projection.to_plane(np.asarray(mean, np.float32))[0]
    return ellipse_of(center, plane_covariance(log_var, basis))
