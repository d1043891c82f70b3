"""Sample sheets: the images ``vae-explorer export`` writes and the app's File ▸ Export offers.

Each function returns one image (H×W×C in [0, 1]) ready for ``imagegrid.write_png``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent.paths import grid_points, interpolate, prior_samples, traverse
from vae_explorer.trainer.maps.projection import Projection
from vae_explorer.trainer.model.space import LatentCodes, LatentSpace


def manifold_grid(
    space: LatentSpace,
    projection: Projection,
    n: int = 15,
    x_range: tuple[float, float] = (-4.0, 4.0),
    y_range: tuple[float, float] = (-4.0, 4.0),
    quantiles: bool = False,
    pad: int = 0,
) -> np.ndarray:
    """n×n decodes over a region of the map's plane (the tutorial's 15×15 over [-4, 4])."""
    plane = grid_points(n, x_range, y_range, quantiles)
    return tile(space.decode(projection.from_plane(plane)), cols=n, pad=pad)


def samples(space: LatentSpace, count: int = 64, seed: int = 0) -> np.ndarray:
    """Decodes of ``count`` draws from the prior."""
    return tile(space.decode(prior_samples(count, space.latent_dim, seed)))


def interpolation_strip(
    space: LatentSpace, a: np.ndarray, b: np.ndarray, steps: int = 10, method: str = "linear"
) -> np.ndarray:
    """One row of ``steps`` decodes from latent point ``a`` to ``b``."""
    return tile(space.decode(interpolate(a, b, steps, method)), cols=max(2, steps))


def traversal_sheet(space: LatentSpace, z: np.ndarray, steps: int = 9, span: float = 3.0, pad: int = 2) -> np.ndarray:
    """One row per latent dimension, each varying that dimension over ±span around ``z``."""
    return tile(space.decode(traverse(z, steps, span)), cols=steps, pad=pad)


def reconstruction_sheet(space: LatentSpace, x: np.ndarray, count: int = 16, cols: int = 8) -> np.ndarray:
    """Pairs of rows: originals, then what the model makes of them."""
    x = np.asarray(x[:count], np.float32)
    recon = space.reconstruct(x)
    rows = []
    for i in range(0, len(x), cols):
        rows.append(x[i : i + cols])
        rows.append(recon[i : i + cols])
    padded = [np.concatenate([r, np.ones((cols - len(r), *r.shape[1:]), np.float32)]) for r in rows]
    return tile(np.concatenate(padded), cols=cols)


def write_latent_csv(
    path: str | os.PathLike[str], codes: LatentCodes, label_names: Sequence[str] | None = None
) -> None:
    """Latent codes with labels as CSV (one row per held-out image), written atomically."""
    means = np.asarray(codes.means)
    dims = means.shape[1]
    header = ["index"] + [f"z{i}" for i in range(dims)]
    columns = [means]
    if codes.log_vars is not None:
        header += [f"log_var{i}" for i in range(dims)]
        columns.append(np.asarray(codes.log_vars))
    _write_rows_csv(path, header, np.concatenate(columns, axis=1), codes.labels, label_names)


def write_layout_csv(
    path: str | os.PathLike[str],
    plane: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
    layout: str = "",
) -> None:
    """The map's coordinates of the held-out images (index, x, y, label, label_name, layout), so
    that anyone can check the legibility figure with their own code."""
    plane = np.asarray(plane)
    _write_rows_csv(path, ["index", "x", "y"], plane, labels, label_names, extra=("layout", layout))


def _write_rows_csv(
    path: str | os.PathLike[str],
    header: Sequence[str],
    values: np.ndarray,
    labels: np.ndarray | None,
    label_names: Sequence[str] | None,
    extra: tuple[str, str] | None = None,
) -> None:
    """One row per image: index, the values, then label and label name when there are labels."""
    import csv
    import io

    from vae_explorer.trainer.files.atomic import atomic_path

    header = list(header) + (["label", "label_name"] if labels is not None else []) + ([extra[0]] if extra else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for i, row_values in enumerate(values):
        row = [i] + [f"{v:.6g}" for v in row_values]
        if labels is not None:
            label = int(labels[i])
            row += [label, label_names[label] if label_names and label < len(label_names) else str(label)]
        writer.writerow(row + ([extra[1]] if extra else []))
    with atomic_path(os.fspath(path), ".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        f.write(buffer.getvalue())
