"""The sections of a model report, each an HTML fragment built from the model and its held-out data.

Every picture of images comes from the functions the app's *Export* and ``vae-explorer export``
draw with (``files.exports``, ``maps.selection.pair_sheet``), inlined as a PNG data URI; the
charts are inline SVG (``report.svg``). Nothing refers to a file or a network address.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from vae_explorer.trainer.files.imagegrid import encode_png, upscale
from vae_explorer.trainer.latent.health import LatentHealth
from vae_explorer.trainer.report.svg import Series, bar_chart, line_chart, scatter

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset
    from vae_explorer.trainer.files.modelfile import ModelFile
    from vae_explorer.trainer.model.space import LatentSpace

SHEET_COUNT = 16  # images in the reconstruction, samples and worst sheets
WORST = 16


@dataclass
class ReportInputs:
    """What a report is made of: the loaded model file and its held-out data."""

    model_path: str
    loaded: ModelFile
    dataset: AnyDataset
    held_out_status: str  # verified, differs or unverified (cli.data.check_held_out)
    space: LatentSpace
    record: dict | None = None  # the model's run record, when there is one
    codes: Any = None  # the held-out LatentCodes, encoded once
    extra: dict = field(default_factory=dict)
    # the map as the app shows it (its plane and layout name); None: the default layout, computed
    plane: np.ndarray | None = None
    layout_name: str | None = None


def image_tag(image: np.ndarray, alt: str, scale: int = 2) -> str:
    """An ``<img>`` holding ``image`` (H×W×C in [0, 1]) as an inline PNG, enlarged ``scale`` times."""
    big = upscale(image, scale)
    data = base64.b64encode(encode_png(big)).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
        f'width="{big.shape[1]}" height="{big.shape[0]}">'
    )


def picture(image: np.ndarray, caption: str, scale: int = 2) -> str:
    return f"<figure>{image_tag(image, caption, scale)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def section(title: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{body}</section>'


def loss_curves(history: list[dict], objective_label: str) -> str:
    """Training loss and held-out loss per epoch (the legend under the chart, off the curves)."""
    if not history:
        return "<p>The file holds no training history.</p>"
    epochs = [float(row["epoch"]) for row in history]
    series = [
        Series("training loss", epochs, [float(r.get("loss", np.nan)) for r in history], "#1f77b4"),
        Series(f"held-out {objective_label}", epochs, [float(r.get("val_neg_elbo", np.nan)) for r in history],
               "#ff7f0e", dashed=True),
        Series("held-out KL", epochs, [float(r.get("val_kl_loss", np.nan)) for r in history], "#2ca02c", dashed=True),
    ]  # fmt: skip
    return line_chart(series, "Loss per epoch, training and held out", "epoch", "nats per image")


def health_bars(health: LatentHealth) -> str:
    caption = f"KL of each latent dimension on the held-out images; {health.summary()}"
    return bar_chart(list(health.kl_per_dim), list(health.active), caption, "latent dimension", "KL, nats")


def map_picture(plane: np.ndarray, labels: np.ndarray | None, names: list[str] | None, caption: str) -> str:
    return scatter(np.asarray(plane, float), labels, names, caption)


def interpolation_ends(means: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Two held-out codes to interpolate between: the first image and the first of another class."""
    if labels is None or len(np.unique(labels)) < 2:
        return means[0], means[min(1, len(means) - 1)]
    other = int(np.flatnonzero(labels != labels[0])[0])
    return means[0], means[other]
