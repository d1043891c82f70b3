"""``vae-explorer runs``: run records shown as a table for people or JSON lines for scripts.

Kept apart from ``trainer.files.runs`` (the records themselves) because the app shows records in its
own widgets and needs none of this text layout.
"""

from __future__ import annotations

import json
import math

from vae_explorer.trainer.files.runs import RunRecord
from vae_explorer.trainer.training.progress import format_seconds

COLUMNS = (
    "date",
    "model",
    "status",
    "dataset",
    "preset",
    "latent",
    "beta",
    "epochs",
    "active",
    "held-out -ELBO",
    "IW NLL",
    "time",
)
RIGHT = {"latent", "beta", "epochs", "active", "held-out -ELBO", "IW NLL", "time"}


def _number(value: object, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"


def duration(seconds: object) -> str:
    """``12.3 s`` under a minute, else ``m:ss`` or ``h:mm:ss``; ``-`` when unknown."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds):
        return "-"
    return f"{seconds:.1f} s" if seconds < 60 else format_seconds(seconds)


def iw_text(record: RunRecord) -> str:
    """The latest IW figure with its K (``b`` marks binarised images), or ``-``."""
    iw = record.latest_likelihood()
    if not iw:
        return "-"
    binarized = "b" if iw.get("likelihood") == "bernoulli-binarized" else ""
    return f"{_number(iw.get('iw_nll'))} (K={iw.get('iw_k')}{binarized})"


def active_text(record: RunRecord) -> str:
    """``11/16``: the active latent dimensions at the run's last epoch, of all; ``-`` when not recorded."""
    active, dims = record.final.get("active_units"), record.config.get("latent_dim")
    if not isinstance(active, int) or isinstance(active, bool):
        return "-"
    return f"{active}/{dims}" if isinstance(dims, int) else str(active)


def row(record: RunRecord) -> list[str]:
    """One table row: what a glance at a run needs."""
    c, name = record.config, record.model_path.replace("\\", "/").rsplit("/", 1)[-1]
    return [
        record.started[:16].replace("T", " "),
        name,
        record.status,
        str(record.dataset.get("name", "?")),
        str(c.get("preset", "?")),
        str(c.get("latent_dim", "?")),
        _number(c.get("beta"), 1),
        str(len(record.history)),
        active_text(record),
        _number(record.final.get("val_neg_elbo")),
        iw_text(record),
        duration(record.wall_time),
    ]


def table(records: list[RunRecord]) -> str:
    """Aligned columns with a header; dates are UTC start times."""
    rows = [list(COLUMNS)] + [row(r) for r in records]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = []
    for r in rows:
        cells = [
            cell.rjust(w) if name in RIGHT else cell.ljust(w) for cell, w, name in zip(r, widths, COLUMNS, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def json_lines(records: list[RunRecord]) -> str:
    """One JSON object per record (its stored fields plus ``record``, the file it came from)."""
    return "\n".join(json.dumps({**r.to_dict(), "record": r.path}) for r in records)
