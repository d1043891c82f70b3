"""Paths and grids through the latent space, pure NumPy: the manifold grid, interpolation
(straight or spherical), the traversal of each dimension, and draws from the prior."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

# Below this sine of the angle between the ends, the part of b orthogonal to a is rounding noise.
ANTIPODAL_SIN = 1e-6


def grid_axes(n: int, radius: float = 4.0, quantiles: bool = False) -> np.ndarray:
    """``n`` values over [-radius, radius], or over N(0, 1) quantiles (0.05…0.95) as in Kingma."""
    if quantiles:
        nd = NormalDist()
        return np.array([nd.inv_cdf(p) for p in np.linspace(0.05, 0.95, n)], dtype=np.float32)
    return np.linspace(-radius, radius, n, dtype=np.float32)


def grid_points(
    n: int,
    x_range: tuple[float, float] = (-4.0, 4.0),
    y_range: tuple[float, float] = (-4.0, 4.0),
    quantiles: bool = False,
) -> np.ndarray:
    """n×n 2-D points, row by row from the top (largest y) so tiles read like the plot."""
    if quantiles:
        xs = ys = grid_axes(n, quantiles=True)
    else:
        xs = np.linspace(x_range[0], x_range[1], n, dtype=np.float32)
        ys = np.linspace(y_range[0], y_range[1], n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys[::-1])
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, method: str = "linear") -> np.ndarray:
    """``steps`` points from ``a`` to ``b`` inclusive: straight line, or spherical (slerp).

    The ends are ``a`` and ``b`` exactly, whatever rounding the path picked up on the way.
    """
    a, b = np.asarray(a, np.float64).reshape(-1), np.asarray(b, np.float64).reshape(-1)
    t = np.linspace(0.0, 1.0, max(2, steps))[:, None]
    if method == "linear":
        path = (1 - t) * a + t * b
    elif method == "spherical":
        path = _slerp(a, b, t)
    else:
        raise ValueError(f"unknown interpolation '{method}' (linear or spherical)")
    path[0], path[-1] = a, b
    return path.astype(np.float32)


def _slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The direction turns along the great circle from a to b, the norm goes linearly from |a| to
    |b|: so the path keeps away from the origin (where a Gaussian prior has little mass) and its
    norm is monotone also when |a| ≠ |b|, which the textbook slerp formula does not give.

    sin ω ≈ 0 at ω ≈ π made that formula explode; here the turn is measured from a towards the
    part of b orthogonal to a, and for (near-)antipodal ends, where that part is only rounding
    noise, towards a fixed direction orthogonal to a. A 1-D latent has no orthogonal direction:
    the path is the straight line, through 0 when the signs differ.
    """
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-8 or nb < 1e-8 or a.size < 2:
        return (1 - t) * a + t * b
    ua, ub = a / na, b / nb
    along = float(ua @ ub)
    across = ub - along * ua
    omega = np.arctan2(np.linalg.norm(across), along)
    if np.linalg.norm(across) > ANTIPODAL_SIN:
        perp = across / np.linalg.norm(across)
    else:  # same or opposite direction: any orthogonal direction, but always the same one
        perp = _orthogonal_to(ua)
    directions = np.cos(t * omega) * ua + np.sin(t * omega) * perp
    return ((1 - t) * na + t * nb) * directions


def _orthogonal_to(u: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to unit ``u``, chosen deterministically: the axis u leans on
    least, with its component along u removed (so [1, 0] turns through [0, 1])."""
    k = int(np.argmin(np.abs(u)))
    v = -u[k] * u
    v[k] += 1.0
    return v / np.linalg.norm(v)


def traverse(z: np.ndarray, steps: int = 9, span: float = 3.0, dims: Sequence[int] | None = None) -> np.ndarray:
    """For each dimension d of ``dims`` (default: all, in order), ``steps`` copies of ``z`` with
    z[d] over z[d]±span: (len(dims)·steps)×latent."""
    z = np.asarray(z, np.float32).reshape(-1)
    order = range(len(z)) if dims is None else [int(d) for d in dims]
    offsets = np.linspace(-span, span, steps, dtype=np.float32)
    rows = np.repeat(z[None, :], len(order) * steps, axis=0)
    for row, d in enumerate(order):
        rows[row * steps : (row + 1) * steps, d] = z[d] + offsets
    return rows


def prior_samples(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """``n`` draws from the prior N(0, I)."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
