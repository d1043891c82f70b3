"""Latent health: how much each latent dimension carries, from the encoder's posteriors alone.

A VAE whose KL term wins switches dimensions off (posterior collapse): their posterior is the
prior for every image, their decodes ignore them, and a traversal along them shows nothing. Two
standard figures say which: the **KL of each dimension**, the analytic KL(q(z_d|x) ‖ N(0, 1))
averaged over images (they sum to the KL term the loss reports), and **active units** (Burda et
al., IWAE, 2016): a dimension is active when the variance over images of its posterior mean
exceeds 0.01. Both come from the held-out means and log-variances the trainer already has, so
they cost microseconds per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVE_VARIANCE = 0.01  # IWAE's threshold on Var_x(E_q[z_d | x])


@dataclass(frozen=True)
class LatentHealth:
    """The per-dimension figures of one set of posteriors (one entry per latent dimension)."""

    kl_per_dim: np.ndarray  # mean over images of KL(q(z_d|x) ‖ N(0, 1)), nats
    mean_variance: np.ndarray  # variance over images of the posterior mean μ_d(x)
    mean_sigma: np.ndarray  # mean over images of the posterior σ_d(x)

    @property
    def active(self) -> np.ndarray:
        """Which dimensions are active (a boolean mask)."""
        return self.mean_variance > ACTIVE_VARIANCE

    @property
    def active_units(self) -> int:
        return int(np.count_nonzero(self.active))

    @property
    def latent_dim(self) -> int:
        return len(self.kl_per_dim)

    @property
    def kl_total(self) -> float:
        """The KL term of the loss for these images: the sum of the per-dimension KLs."""
        return float(np.sum(self.kl_per_dim))

    def by_kl(self) -> np.ndarray:
        """The dimensions, the one carrying the most KL first (ties: the lower index first)."""
        return np.argsort(-self.kl_per_dim, kind="stable")

    def most_active(self, count: int = 2) -> list[int]:
        """The ``count`` dimensions with the largest KL, in index order."""
        return sorted(int(d) for d in self.by_kl()[:count])

    def to_json(self) -> dict:
        """The figures as ``eval --health`` and the run record write them (plain JSON)."""
        return {
            "kl_per_dim": [round(float(v), 6) for v in self.kl_per_dim],
            "active_units": self.active_units,
            "active": [int(d) for d in np.flatnonzero(self.active)],
            "mean_variance": [round(float(v), 6) for v in self.mean_variance],
            "mean_sigma": [round(float(v), 6) for v in self.mean_sigma],
            "threshold": ACTIVE_VARIANCE,
        }

    def summary(self) -> str:
        """One line, e.g. ``12 of 16 dimensions active (variance of the mean > 0.01)``."""
        return f"{self.active_units} of {self.latent_dim} dimensions active (variance of the mean > {ACTIVE_VARIANCE})"


def latent_health(means: np.ndarray, log_vars: np.ndarray) -> LatentHealth:
    """The figures of the posteriors N(means, exp(log_vars)) of a set of images (N×D each)."""
    mu = np.asarray(means, np.float64)
    log_var = np.asarray(log_vars, np.float64)
    if mu.ndim != 2 or mu.shape != log_var.shape or len(mu) == 0:
        raise ValueError(f"latent health needs N×D means and log-variances, got {mu.shape} and {log_var.shape}")
    kl = 0.5 * (np.square(mu) + np.exp(log_var) - 1.0 - log_var)
    return LatentHealth(
        kl_per_dim=kl.mean(axis=0), mean_variance=mu.var(axis=0), mean_sigma=np.exp(0.5 * log_var).mean(axis=0)
    )


def history_figures(health: LatentHealth) -> dict:
    """What an epoch's history row keeps: the active-unit count, which ones, and the KL of each dimension."""
    return {
        "active_units": health.active_units,
        "active": [int(d) for d in np.flatnonzero(health.active)],
        "kl_per_dim": [round(float(v), 6) for v in health.kl_per_dim],
    }


def active_masks(history: list[dict], latent_dim: int) -> list[np.ndarray]:
    """Each epoch's active dimensions as a mask, from the history rows that record them (oldest
    first; rows of files saved before health was recorded are left out)."""
    masks = []
    for row in history:
        active = row.get("active")
        if isinstance(active, list):
            mask = np.zeros(latent_dim, bool)
            mask[[int(d) for d in active if 0 <= int(d) < latent_dim]] = True
            masks.append(mask)
    return masks


@dataclass(frozen=True)
class Collapse:
    """Dimensions inactive at the newest epoch, and since when (all of them at least since then)."""

    inactive: int
    latent_dim: int
    since_epoch: int

    def warning(self) -> str:
        return (
            f"{self.inactive} of {self.latent_dim} dimensions inactive since epoch {self.since_epoch}: "
            "try a lower β or KL warm-up"
        )


def collapse(active_per_epoch: list[np.ndarray], first_epoch: int = 1, share: float = 0.5) -> Collapse | None:
    """A collapse to warn about, from each epoch's active mask (oldest first): at least ``share``
    of the dimensions inactive at the newest epoch; ``since_epoch`` is the first epoch from which
    every one of them has stayed inactive. ``None`` when there is nothing to say."""
    if not active_per_epoch:
        return None
    newest = np.asarray(active_per_epoch[-1], bool)
    inactive = ~newest
    if inactive.sum() == 0 or inactive.sum() < share * len(newest):
        return None
    since = len(active_per_epoch) - 1
    while since > 0 and not np.any(np.asarray(active_per_epoch[since - 1], bool) & inactive):
        since -= 1
    return Collapse(int(inactive.sum()), len(newest), first_epoch + since)
