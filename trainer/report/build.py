"""One self-contained HTML report of a model: ``vae-explorer report`` and the app's *Export report…*.

The page holds everything a colleague needs to judge a model without the app: config and data,
the loss curves and held-out figures, latent health, the map, reconstructions, samples, the
manifold grid or per-class samples, an interpolation and the worst-reconstructed images. It is
one file (images inline), needs no network and no script, and is written atomically.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable

import numpy as np

from vae_explorer.trainer.files.atomic import atomic_path
from vae_explorer.trainer.files.exports import interpolation_strip, manifold_grid, reconstruction_sheet, samples
from vae_explorer.trainer.latent.class_tools import class_samples
from vae_explorer.trainer.latent.health import latent_health
from vae_explorer.trainer.latent.per_image import PerImageLosses, worst
from vae_explorer.trainer.maps.layouts import default_layout_name, make_layout, plane_of
from vae_explorer.trainer.maps.legibility import legibility
from vae_explorer.trainer.maps.projection import Projection
from vae_explorer.trainer.maps.selection import pair_sheet
from vae_explorer.trainer.model.config import OBJECTIVE_LABELS
from vae_explorer.trainer.report import sections as s
from vae_explorer.trainer.report.style import PAGE

# progress(done, total, what is being built now)
Progress = Callable[[int, int, str], None]
STEPS = ("held-out codes", "latent health", "map", "reconstructions", "samples", "grid", "interpolation", "worst")


def build_report(inputs: s.ReportInputs, progress: Progress | None = None) -> str:
    """The report's HTML text; ``progress`` hears of each step before it runs."""
    say = progress or (lambda done, total, what: None)
    parts: list[str] = []
    builders = (_codes, _health, _map, _reconstructions, _samples, _grid, _interpolation, _worst)
    for i, (name, builder) in enumerate(zip(STEPS, builders, strict=True)):
        say(i, len(STEPS), name)
        parts.append(builder(inputs))
    say(len(STEPS), len(STEPS), "done")
    title = f"vae-explorer report: {os.path.basename(inputs.model_path)}"
    return PAGE.format(title=html.escape(title), body="".join([_header(inputs, title), *parts]))


def write_report(path: str, inputs: s.ReportInputs, progress: Progress | None = None) -> int:
    """Build the report and write it atomically; the number of bytes written."""
    text = build_report(inputs, progress).encode("utf-8")
    with atomic_path(path, ".html") as tmp, open(tmp, "wb") as f:
        f.write(text)
    return len(text)


def _header(inputs: s.ReportInputs, title: str) -> str:
    loaded, data = inputs.loaded, inputs.dataset
    cfg, last = loaded.config, (loaded.history[-1] if loaded.history else {})
    label = OBJECTIVE_LABELS[cfg.objective]
    rows = [
        ("model file", os.path.basename(inputs.model_path)),
        ("preset", cfg.preset), ("latent dimension", cfg.latent_dim),
        ("image shape", "×".join(str(v) for v in loaded.model.image_shape)),
        ("reconstruction loss", cfg.reconstruction), ("β", cfg.beta), ("KL warm-up epochs", cfg.kl_warmup_epochs),
        ("batch size", cfg.batch_size), ("learning rate", cfg.resolved_learning_rate), ("seed", cfg.seed),
        ("epochs trained", len(loaded.history)),
        ("data", data.name), ("training images", data.describe()["n_train"]), ("held-out images", len(data.x_test)),
        ("held-out checksum", f"{loaded.dataset.get('held_out_sha256', '(none recorded)')} ({inputs.held_out_status})"),
        (f"held-out {label}", _figure(last.get("val_neg_elbo"))),
    ]  # fmt: skip
    rows += _likelihood_rows(inputs.record)
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    curves = s.loss_curves(loaded.history, label)
    return f"<h1>{html.escape(title)}</h1><p class=made>Made {made}.</p>" + s.section(
        "Model and data", s.table(rows) + curves, "model"
    )


def _likelihood_rows(record: dict | None) -> list[tuple[str, str]]:
    rows = []
    for entry in (record or {}).get("likelihood", []) or []:
        if isinstance(entry, dict) and "iw_nll" in entry:
            rows.append((f"IW NLL, K = {entry.get('iw_k')} ({entry.get('likelihood', '')})", _figure(entry["iw_nll"])))
    return rows


def _figure(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "(not computed)"


def _codes(inputs: s.ReportInputs) -> str:
    inputs.codes = inputs.space.codes(inputs.dataset.x_test, inputs.dataset.y_test)
    return ""


def _health(inputs: s.ReportInputs) -> str:
    health = latent_health(inputs.codes.means, inputs.codes.log_vars)
    inputs.extra["health"] = health
    return s.section("Latent health", s.health_bars(health), "health")


def _map(inputs: s.ReportInputs) -> str:
    means, labels = inputs.codes.means, inputs.codes.labels
    name, plane = inputs.layout_name or default_layout_name(means.shape[1]), inputs.plane
    if plane is None or len(plane) != len(means):
        try:
            plane = plane_of(make_layout(name, means, seed=0, n_jobs=1), means)
        except ValueError as exc:  # too few images for a t-SNE layout: the report says so
            return s.section("The map", f"<p>{html.escape(str(exc))}</p>", "map")
    seen = legibility(plane, labels)
    caption = f"The held-out images on the {_LAYOUT_TITLES.get(name, name)} map" + (
        f"; legibility (5-NN label accuracy in the plane) {seen:.1%}" if seen is not None else ""
    )
    return s.section("The map", s.map_picture(plane, labels, inputs.dataset.label_names, caption), "map")


_LAYOUT_TITLES = {"latent": "latent-plane", "tsne": "t-SNE", "pca": "PCA", "dims": "chosen-dimensions"}


def _reconstructions(inputs: s.ReportInputs) -> str:
    sheet = reconstruction_sheet(inputs.space, inputs.dataset.x_test, s.SHEET_COUNT)
    return s.section("Reconstructions", s.picture(sheet, "Held-out images (odd rows) and their reconstructions"), "rec")


def _samples(inputs: s.ReportInputs) -> str:
    sheet = samples(inputs.space, 64, seed=0)
    caption = "Decodes of 64 draws from the prior N(0, I), seed 0"
    return s.section("Random samples", s.picture(sheet, caption), "samples")


def _grid(inputs: s.ReportInputs) -> str:
    means, labels = inputs.codes.means, inputs.codes.labels
    if means.shape[1] == 2 or labels is None:
        grid = manifold_grid(inputs.space, Projection(means), 15, (-4, 4), (-4, 4))
        caption = "The manifold: 15×15 decodes over [-4, 4]² of the " + (
            "latent plane" if means.shape[1] == 2 else "first two principal components"
        )
        return s.section("Manifold grid", s.picture(grid, caption), "grid")
    classes = [int(c) for c in np.unique(labels)][:10]
    rows = np.concatenate([class_samples(means, labels, c, 8, seed=0) for c in classes])
    from vae_explorer.trainer.files.imagegrid import tile

    sheet = tile(inputs.space.decode(rows), cols=8)
    caption = "Per-class samples: 8 draws from a Gaussian fitted to each class's held-out codes (a row per class)"
    return s.section("Per-class samples", s.picture(sheet, caption), "grid")


def _interpolation(inputs: s.ReportInputs) -> str:
    a, b = s.interpolation_ends(inputs.codes.means, inputs.codes.labels)
    strip = interpolation_strip(inputs.space, a, b, 10, "linear")
    caption = "Interpolation between two held-out images of different classes, 10 steps"
    return s.section("Interpolation", s.picture(strip, caption, scale=3), "interpolation")


def _worst(inputs: s.ReportInputs) -> str:
    x = inputs.dataset.x_test
    metrics = PerImageLosses(inputs.loaded.model)(x)
    assert metrics is not None  # no should_stop given: never cancelled
    order = worst(metrics.values("reconstruction"), s.WORST)
    sheet = pair_sheet(x[order], inputs.space.reconstruct(x[order]))
    caption = f"The {len(order)} worst-reconstructed held-out images, each beside its reconstruction (worst first)"
    return s.section("Worst reconstructed", s.picture(sheet, caption), "worst")
