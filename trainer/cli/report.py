"""``vae-explorer report MODEL.h5 [--data SPEC] --out report.html``: a model's report to share.

The report is built from the model file and its held-out data (reloaded and checked as ``eval``
reloads them), with a progress bar on stderr; the file is written atomically, so an interrupted
build leaves nothing behind.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from vae_explorer.trainer.cli.data import check_writable, model_dataset
from vae_explorer.trainer.errors import UserError

BAR = 24


def add_report(sub: Any) -> None:
    """The ``report`` command's arguments."""
    report = sub.add_parser(
        "report",
        help="one self-contained HTML report of a model (images inline, no network, no script)",
        description="Config and data, loss curves, held-out figures, latent health, the map, "
        "reconstructions, samples, the manifold grid or per-class samples, an interpolation and "
        "the worst-reconstructed held-out images, in one HTML file.",
    )
    report.add_argument("model", metavar="MODEL.h5")
    report.add_argument("--data", default=None, help="dataset (default: the model's)")
    report.add_argument("--image-size", default=None, help=argparse.SUPPRESS)
    report.add_argument("--out", required=True, metavar="REPORT.html")


class TerminalProgress:
    """``report [#####-------] 3/8 map`` on stderr, redrawn in place on a terminal, a line each otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, done: int, total: int, what: str) -> None:
        filled = BAR * done // max(total, 1)
        line = f"report [{'#' * filled}{'-' * (BAR - filled)}] {done}/{total} {what}"
        if self.tty:
            self.stream.write(f"\r\x1b[K{line}" + ("\n" if done == total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def cmd_report(args: argparse.Namespace) -> int:
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.files.runs import record_for_model
    from vae_explorer.trainer.model.space import LatentSpace
    from vae_explorer.trainer.report.build import write_report
    from vae_explorer.trainer.report.sections import ReportInputs

    check_writable(args.out)
    if not args.out.lower().endswith((".html", ".htm")):
        raise UserError("a report is an HTML file: name it .html", args.out)
    start = time.perf_counter()
    loaded = load_model(args.model)
    args.image_size = None
    dataset, status = model_dataset(args, loaded, args.model)
    record, _ = record_for_model(args.model, loaded.history)
    record_dict = None if record is None else record.to_dict()
    inputs = ReportInputs(args.model, loaded, dataset, status, LatentSpace(loaded.model), record=record_dict)
    size = write_report(args.out, inputs, TerminalProgress())
    seconds = time.perf_counter() - start
    print(f"wrote {args.out} ({size / 1e6:.2f} MB in {seconds:.1f} s)", file=sys.stderr)
    return 0
