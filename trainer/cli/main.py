"""``vae-explorer train|export|eval|info|runs|encode``: the headless commands.

Every user mistake ends as one line on stderr naming the file and the problem, and exit 2;
TensorFlow is imported only by the commands that need it, so ``--help`` is fast (``info``
loads the model to check it, as ``eval`` would).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from vae_explorer.trainer.cli.args import EXIT_INTERRUPTED, EXIT_USAGE, KERAS_PARTS, attach_points, build_parser
from vae_explorer.trainer.cli.data import check_writable, chosen_points, model_dataset
from vae_explorer.trainer.cli.encode import cmd_encode
from vae_explorer.trainer.cli.info import cmd_info, cmd_runs
from vae_explorer.trainer.cli.report import cmd_report
from vae_explorer.trainer.cli.train import cmd_train
from vae_explorer.trainer.data.dataset import Dataset
from vae_explorer.trainer.errors import UserError

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset
    from vae_explorer.trainer.files.modelfile import ModelFile
    from vae_explorer.trainer.maps.points import MapPoints
    from vae_explorer.trainer.model.vae import VAE

COMMANDS = ("train", "export", "eval", "info", "runs", "encode", "report")


def main(argv: list[str] | None = None, exit_at_once_on_interrupt: bool = False) -> int:
    """Run one command; return the exit code. ``exit_at_once_on_interrupt`` (the console script):
    a Ctrl-C that lands outside the training loop ends the process right after its message."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(attach_points(list(argv)))
        return {
            "train": cmd_train,
            "export": cmd_export,
            "eval": cmd_eval,
            "info": cmd_info,
            "runs": cmd_runs,
            "encode": cmd_encode,
            "report": cmd_report,
        }[args.command](args)
    except UserError as exc:
        print(f"vae-explorer: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, ImportError) as exc:
        if not interrupted(exc):
            raise
        print("vae-explorer: interrupted", file=sys.stderr)
        if exit_at_once_on_interrupt:
            _exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def interrupted(exc: BaseException | None) -> bool:
    """Whether a Ctrl-C is behind ``exc``. One that lands while a native module of TensorFlow
    initialises comes out as pybind11's ``ImportError("initialization failed")`` raised from the
    KeyboardInterrupt: a traceback and exit 1 in one CI run of three, where the user pressed Ctrl-C."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # a chain can loop back on itself
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _exit_now(code: int) -> None:
    """End the process without tearing the interpreter down. A Ctrl-C in the middle of importing
    or starting TensorFlow can leave its native threads half-started, and a teardown that waits
    on them can last for ever (a Ctrl-C one second into ``train`` did not exit within 30 s in two
    CI runs of three; never by hand). Nothing of the user's is pending here: files are written
    atomically (an interrupted one was removed on the way out), and a training stops
    cooperatively between two batches instead of coming here."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_export(args: argparse.Namespace) -> int:
    from vae_explorer.trainer.files.modelfile import load_model

    if args.what in KERAS_PARTS:
        from vae_explorer.trainer.model.keras_export import export_keras

        loaded = load_model(args.model)
        export_keras(args.out, loaded.model, KERAS_PARTS[args.what])
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    if args.what == "layout":
        return _export_layout(args)
    from vae_explorer.trainer.files.imagegrid import upscale, write_png

    check_writable(args.out)
    if not args.out.lower().endswith(".png"):
        raise UserError("image exports are PNG files: name it .png", args.out)
    loaded = load_model(args.model)
    image = _render(loaded, args)
    write_png(args.out, upscale(image, args.scale))
    print(
        f"wrote {args.out} ({image.shape[1] * max(1, args.scale)}×{image.shape[0] * max(1, args.scale)})",
        file=sys.stderr,
    )
    return 0


def _render(loaded: ModelFile, args: argparse.Namespace) -> np.ndarray:
    """The image ``export --what`` asks for."""
    from vae_explorer.trainer.files import exports
    from vae_explorer.trainer.maps.projection import Projection
    from vae_explorer.trainer.model.space import LatentSpace

    space = LatentSpace(loaded.model)
    dim = space.latent_dim
    means = loaded.latent.means if loaded.latent is not None else np.zeros((1, dim), np.float32)
    for name in ("n", "count", "steps"):
        if not 1 <= getattr(args, name) <= 256:
            raise UserError(f"--{name} must be between 1 and 256")
    if args.what == "grid":
        projection = Projection(means)
        r = args.radius
        return exports.manifold_grid(space, projection, args.n, (-r, r), (-r, r), args.quantiles)
    if args.what == "samples":
        return exports.samples(space, args.count, args.seed)
    if args.what == "interpolate":
        start = _point(args.start, dim, "--from", fallback=means[0])
        end = _point(args.end, dim, "--to", fallback=means[min(1, len(means) - 1)])
        return exports.interpolation_strip(space, start, end, args.steps, args.method)
    if args.what == "traverse":
        return exports.traversal_sheet(space, _point(args.at, dim, "--at", np.zeros(dim)), args.steps, args.span)
    return exports.reconstruction_sheet(space, model_dataset(args, loaded, args.model)[0].x_test, args.count)


def _point(values: list[float] | None, dim: int, option: str, fallback: ArrayLike) -> np.ndarray:
    if values is None:
        return np.asarray(fallback, np.float32)
    if len(values) != dim:
        raise UserError(f"{option} needs {dim} comma-separated numbers (the latent dimension), got {len(values)}")
    return np.asarray(values, np.float32)


def _export_layout(args: argparse.Namespace) -> int:
    """The held-out images' map coordinates as CSV: what the app shows, checkable by anyone."""
    from vae_explorer.trainer.files.exports import write_layout_csv
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.maps.layouts import default_layout_name, make_layout, plane_of

    check_writable(args.out)
    if not args.out.lower().endswith(".csv"):
        raise UserError("a layout export is a CSV file: name it .csv", args.out)
    loaded = load_model(args.model)
    points, dataset = _layout_points(args, loaded)
    name = args.layout or default_layout_name(points.means.shape[1])
    try:
        layout = make_layout(name, points.means, dims=args.dims, seed=args.seed, n_jobs=2)
    except ValueError as exc:
        raise UserError(str(exc), args.model) from None
    plane = plane_of(layout, points.means)
    names = loaded.dataset.get("label_names")
    files = _files_of(dataset, points)
    write_layout_csv(args.out, plane, points.labels, names, name, sets=points.sets, index=points.index, files=files)
    print(f"wrote {args.out} ({len(plane)} points, layout {name})", file=sys.stderr)
    return 0


def _layout_points(args: argparse.Namespace, loaded: ModelFile) -> tuple[MapPoints, AnyDataset | None]:
    """The held-out codes the file keeps (no data needed), or the chosen points encoded from the
    data (``--data`` when given), with the dataset they came from."""
    from vae_explorer.trainer.model.space import LatentSpace

    if args.points == "held-out" and args.data is None:
        if loaded.latent is None:
            why = "holds no encoded held-out images to lay out (train or save it with this version)"
            raise UserError(why, args.model)
        return chosen_points(LatentSpace(loaded.model), None, "held-out", held_out=loaded.latent), None
    dataset, _ = model_dataset(args, loaded, args.model)
    return chosen_points(LatentSpace(loaded.model), dataset, args.points), dataset


def _files_of(dataset: AnyDataset | None, points: MapPoints) -> list[str] | None:
    """Each point's file, relative to the image folder; None for data without file names."""
    if not isinstance(dataset, Dataset) or dataset.files is None:
        return None
    return [dataset.file_of(int(s), int(i)) or "" for s, i in zip(points.sets, points.index, strict=True)]


def cmd_eval(args: argparse.Namespace) -> int:
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.latent.likelihood import binarize, check_k
    from vae_explorer.trainer.training.compiled import HeldOutEvaluator

    if args.iw is None and (args.per_class or args.record):
        raise UserError("--per-class and --record go with --iw K")
    if args.iw is not None:
        check_k(args.iw)  # before the model and the data are loaded
    loaded = load_model(args.model)
    dataset, held_out = model_dataset(args, loaded, args.model)
    x = binarize(dataset.x_test) if args.binarize else dataset.x_test
    terms = HeldOutEvaluator(loaded.model)(x)
    result = {
        "model": args.model,
        "data": dataset.name,
        "n": int(len(dataset.x_test)),
        "held_out": held_out,
        "objective": loaded.config.objective,
        loaded.config.objective: terms["neg_elbo"],
        "reconstruction": terms["reconstruction_loss"],
        "kl": terms["kl_loss"],
        "loss": terms["loss"],
    }
    if args.map:
        result["map"] = _map_figures(loaded.model, dataset, args.points)
    if args.health:
        result["health"] = _health(loaded.model, dataset)
    if args.iw is not None:
        result.update(_likelihood(args, loaded, dataset, x))
    print(json.dumps(result))
    return 0


def _likelihood(args: argparse.Namespace, loaded: ModelFile, dataset: AnyDataset, x: np.ndarray) -> dict[str, Any]:
    """``eval --iw``: the importance-weighted figures, also added to the model's run record. How
    long it will take is said first; hours are run only when confirmed (a prompt, or ``--yes``)."""
    from vae_explorer.trainer.files.runs import add_likelihood, record_for_model
    from vae_explorer.trainer.latent.likelihood import ImportanceWeighted, figures_of

    if args.per_class and dataset.y_test is None:
        raise UserError("has no labels, which --per-class needs", dataset.source or dataset.name)
    record, warning = record_for_model(args.model, loaded.history, args.record)  # before the long part
    if warning:
        print(f"vae-explorer: warning: {warning}", file=sys.stderr)
    iw = ImportanceWeighted(loaded.model, args.model)
    _confirm_duration(iw.estimate_seconds(x, args.iw, args.seed), iw.calls(len(x), args.iw), args)
    labels = dataset.y_test if args.per_class else None
    nll = -iw.log_px(x, args.iw, args.seed)
    figures = figures_of(nll, loaded.model.image_shape, args.iw, labels, args.binarize).to_dict()
    if record is not None:
        path = add_likelihood(record, {**figures, "data": dataset.name, "n": len(x), "seed": args.seed})
        print(f"added the likelihood figures to {path}", file=sys.stderr)
    return figures


def _confirm_duration(seconds: float, calls: int, args: argparse.Namespace) -> None:
    """Say how long the bound will take; past an hour, go on only with --yes or a "y" typed."""
    from vae_explorer.trainer.latent.likelihood import LONG_SECONDS, duration_text

    print(f"eval --iw {args.iw:,}: {duration_text(seconds)} ({calls:,} compiled calls)", file=sys.stderr)
    if seconds <= LONG_SECONDS or args.yes:
        return
    if not sys.stdin.isatty():
        raise UserError(f"--iw {args.iw:,} would take {duration_text(seconds)}; add --yes to run it anyway")
    print("Go on? [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise UserError(f"--iw {args.iw:,} not run ({duration_text(seconds)})")


def _health(model: VAE, dataset: AnyDataset) -> dict:
    from vae_explorer.trainer.latent.health import latent_health
    from vae_explorer.trainer.model.space import LatentSpace

    return latent_health(*LatentSpace(model).encode(dataset.x_test)).to_json()


def _map_figures(model: VAE, dataset: AnyDataset, which: str) -> dict:
    from vae_explorer.trainer.maps.figures import map_figures
    from vae_explorer.trainer.model.space import LatentSpace

    space = LatentSpace(model)
    points = chosen_points(space, dataset, which)
    figures = map_figures(points.means, points.labels, space.decode)
    return {**figures, "points": {"which": which, "n": len(points), "sample": points.sample}}
