"""Sample sheets: the images ``vae-explorer export`` writes and the app's File ▸ Export offers.

Each function returns one image (H×W×C in [0, 1]) ready for ``imagegrid.write_png``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent.paths import grid_points, interpolate, prior_samples, traverse
from vae_explorer.trainer.maps.points import SETS
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
    columns: dict[str, Sequence] = {"index": list(range(len(means)))}
    columns.update({f"z{i}": [f"{v:.6g}" for v in means[:, i]] for i in range(means.shape[1])})
    if codes.log_vars is not None:
        log_vars = np.asarray(codes.log_vars)
        columns.update({f"log_var{i}": [f"{v:.6g}" for v in log_vars[:, i]] for i in range(means.shape[1])})
    write_table_csv(path, {**columns, **_label_columns(codes.labels, label_names)})


def write_layout_csv(
    path: str | os.PathLike[str],
    plane: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
    layout: str = "",
    sets: np.ndarray | None = None,
    index: np.ndarray | None = None,
    files: Sequence[str] | None = None,
) -> None:
    """The map's coordinates of its images (index, set, x, y, label, label_name, layout, and file
    for an image folder), so that anyone can check the legibility figure with their own code.
    ``index`` is the image's index within its ``set`` (held-out or train; default: all held out)."""
    plane = np.asarray(plane)
    n = len(plane)
    columns: dict[str, Sequence] = {
        "index": list(range(n)) if index is None else [int(i) for i in index],
        "set": [SETS[int(s)] for s in (np.zeros(n, np.uint8) if sets is None else sets)],
        "x": [f"{v:.6g}" for v in plane[:, 0]],
        "y": [f"{v:.6g}" for v in plane[:, 1]],
        **_label_columns(labels, label_names),
        "layout": [layout] * n,
    }
    if files is not None:
        columns["file"] = files
    write_table_csv(path, columns)


def write_selection_csv(
    path: str | os.PathLike[str],
    sets: np.ndarray,
    index: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
    files: Sequence[str] | None = None,
) -> None:
    """Selected images, one row each (set, index, label, label_name, file): a list to relabel or
    remove images by, in the data's own terms (file names for an image folder)."""
    columns: dict[str, Sequence] = {"set": [SETS[int(s)] for s in sets], "index": [int(i) for i in index]}
    columns.update(_label_columns(labels, label_names))
    if files is not None:
        columns["file"] = files
    write_table_csv(path, columns)


def _label_columns(labels: np.ndarray | None, names: Sequence[str] | None) -> dict[str, Sequence]:
    if labels is None:
        return {}
    text = [names[v] if names and 0 <= v < len(names) else str(v) for v in (int(x) for x in labels)]
    return {"label": [int(v) for v in labels], "label_name": text}


def write_table_csv(path: str | os.PathLike[str], columns: dict[str, Sequence]) -> None:
    """Columns of equal length as a CSV file with a header, written atomically."""
    import csv
    import io

    from vae_explorer.trainer.files.atomic import atomic_path

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(columns))
    writer.writerows(zip(*columns.values(), strict=True))
    with atomic_path(os.fspath(path), ".csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        f.write(buffer.getvalue())
