"""Where the prior puts mass but the encoded data does not: "holes" on a linear map.

A VAE samples from the prior N(0, I), but its decoder only learned from codes near the encoded
data. On a linear map (the latent plane, two chosen dimensions, the PCA plane) the plane
coordinates are ``p = B (z − c)`` with B the 2×D basis and c the centre, so the prior projects to
N(−B c, B Bᵀ): exactly N(0, I₂) when B has orthonormal rows (a PCA basis, two unit axes) and c
is 0; the PCA plane is centred on the data mean, so there the prior's centre moves to −B c.
The data density is a Gaussian kernel density estimate of the map's points (Scott's bandwidth),
binned on the grid and convolved by FFT (the exact sum when zoomed far in).
The score of a grid cell is log p_prior − log p_data, clipped to [0, ``LOG_RATIO_MAX``] and
scaled to [0, 1], and faded out where the prior itself has little mass: from full at its
``FADE_FROM``-σ ellipse to zero at its ``PRIOR_MAHALANOBIS``-σ ellipse.
"""

from __future__ import annotations

import numpy as np

LOG_RATIO_MAX = 5.0  # a prior e⁵ ≈ 150 times denser than the data: fully shaded
PRIOR_MAHALANOBIS = 3.0  # beyond 3σ the prior's own mass is negligible: nothing to shade
FADE_FROM = 2.0  # between 2σ and 3σ the shade fades out (no hard edge on the map)
KDE_CHUNK = 512  # grid points per block of the KDE sum (bounds its memory: 512 × N doubles)
FINE = 3  # the binned KDE counts points on a grid 3× finer than the shaded one (odd: centres align)
TINY = 1e-300


def projected_prior(basis: np.ndarray, center: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance on the plane of N(0, I) under ``p = basis (z − center)``."""
    basis = np.asarray(basis, np.float64)
    return -basis @ np.asarray(center, np.float64), basis @ basis.T


def gaussian_log_density(points: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log N(points; mean, cov) for M×2 points."""
    diff = np.asarray(points, np.float64) - mean
    inv = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(cov)
    maha = np.einsum("mi,ij,mj->m", diff, inv, diff)
    return -0.5 * (maha + logdet + diff.shape[1] * np.log(2 * np.pi))


def kernel_cov(data: np.ndarray) -> np.ndarray:
    """Scott's kernel covariance for a 2-D KDE: the data covariance × n^(−1/3), with a small
    ridge so that collinear or coincident points still give a density."""
    n, d = data.shape
    cov = np.cov(data, rowvar=False).reshape(d, d) if n > 1 else np.zeros((d, d))
    return cov * n ** (-2.0 / (d + 4)) + (1e-6 * (np.trace(cov) / d) + 1e-12) * np.eye(d)


def kde_log_density(data: np.ndarray, points: np.ndarray) -> np.ndarray:
    """log of a Gaussian KDE of ``data`` (N×2) at ``points`` (M×2), exactly (N·M kernel terms).

    Both sets are whitened by the kernel covariance first, so a kernel is a squared distance."""
    data = np.asarray(data, np.float64)
    cov = kernel_cov(data)
    whiten = np.linalg.inv(np.linalg.cholesky(cov)).T
    a, b = data @ whiten, np.asarray(points, np.float64) @ whiten
    norm = -0.5 * (np.linalg.slogdet(cov)[1] + data.shape[1] * np.log(2 * np.pi)) - np.log(len(data))
    out = np.empty(len(b))
    for i in range(0, len(b), KDE_CHUNK):
        block = b[i : i + KDE_CHUNK]
        maha = (block[:, None, 0] - a[None, :, 0]) ** 2 + (block[:, None, 1] - a[None, :, 1]) ** 2
        low = maha.min(axis=1, keepdims=True)  # log-sum-exp, so far points do not underflow to −inf
        out[i : i + KDE_CHUNK] = -0.5 * low[:, 0] + np.log(np.exp(-0.5 * (maha - low)).sum(axis=1)) + norm
    return out


def grid_kde_log_density(
    data: np.ndarray, n: int, x_range: tuple[float, float], y_range: tuple[float, float]
) -> np.ndarray | None:
    """The same KDE at the n×n cell centres (row 0 at the lowest y), binned: the points are
    counted on a grid ``FINE`` times finer, over the region widened by 4 kernel σ, and the
    counts convolved with the kernel (FFT), so the cost does not grow with N·n². None when the
    kernel spans more than 2n cells (zoomed far in): then the exact sum is as cheap."""
    from scipy.signal import fftconvolve

    data = np.asarray(data, np.float64)
    cov, m = kernel_cov(data), FINE * n
    step = np.array([x_range[1] - x_range[0], y_range[1] - y_range[0]]) / m
    px, py = reach = np.ceil(4 * np.sqrt(np.diag(cov)) / step).astype(int)  # kernel half-width, fine cells
    if np.any(reach > 2 * m):
        return None
    xe = x_range[0] + np.arange(-px, m + px + 1) * step[0]
    ye = y_range[0] + np.arange(-py, m + py + 1) * step[1]
    counts, _, _ = np.histogram2d(data[:, 1], data[:, 0], bins=[ye, xe])
    oy, ox = np.meshgrid(np.arange(-py, py + 1) * step[1], np.arange(-px, px + 1) * step[0], indexing="ij")
    kernel = np.exp(gaussian_log_density(np.c_[ox.ravel(), oy.ravel()], np.zeros(2), cov)).reshape(ox.shape)
    density = fftconvolve(counts, kernel, mode="same")[py : py + m, px : px + m] / len(data)
    centres = density[FINE // 2 :: FINE, FINE // 2 :: FINE]  # the fine cells at the n×n cell centres
    return np.log(np.maximum(centres, TINY)).ravel()


def grid_centres(n: int, x_range: tuple[float, float], y_range: tuple[float, float]) -> np.ndarray:
    """n×n cell centres over the region, row 0 at the lowest y (an image's first row at the bottom)."""
    xs = x_range[0] + (np.arange(n) + 0.5) * (x_range[1] - x_range[0]) / n
    ys = y_range[0] + (np.arange(n) + 0.5) * (y_range[1] - y_range[0]) / n
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def prior_holes(
    plane_points: np.ndarray,
    basis: np.ndarray,
    center: np.ndarray,
    n: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> np.ndarray:
    """n×n scores in [0, 1] over the region (row 0 at the lowest y): 1 where the prior is at
    least e⁵ times denser than the data, 0 where the data is as dense or the prior has no mass."""
    mean, cov = projected_prior(basis, center)
    if abs(np.linalg.det(cov)) < 1e-12:
        raise ValueError("the map's plane is not two-dimensional in the latent space (latent dim 1?)")
    cells = grid_centres(n, x_range, y_range)
    log_data = grid_kde_log_density(plane_points, n, x_range, y_range)
    if log_data is None:
        log_data = kde_log_density(plane_points, cells)
    log_ratio = gaussian_log_density(cells, mean, cov) - log_data
    score = np.clip(log_ratio, 0.0, LOG_RATIO_MAX) / LOG_RATIO_MAX
    diff = cells - mean
    maha = np.sqrt(np.einsum("mi,ij,mj->m", diff, np.linalg.inv(cov), diff))
    fade = np.clip((PRIOR_MAHALANOBIS - maha) / (PRIOR_MAHALANOBIS - FADE_FROM), 0.0, 1.0)
    return (score * fade).reshape(n, n).astype(np.float32)
