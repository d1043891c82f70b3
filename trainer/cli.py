"""``vae-explorer train|export|eval|info|runs``: the headless commands.

Every user mistake ends as one line on stderr naming the file and the problem, and exit 2;
TensorFlow is imported only by the commands that need it, so ``--help`` is fast (``info``
loads the model to check it, as ``eval`` would).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

import numpy as np

from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.layouts import LAYOUT_NAMES

COMMANDS = ("train", "export", "eval", "info", "runs")
EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage block."""

    def error(self, message):
        raise UserError(f"{self.prog}: {message} (see --help)")


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'") from None


def _size(text: str) -> tuple[int, int]:
    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",")]
    except ValueError:
        parts = []
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 4 or max(parts) > 1024:
        raise argparse.ArgumentTypeError(f"expected a size like 64 or 64x48 (4–1024), got '{text}'")
    return parts[0], parts[1]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vae-explorer", description="Train a VAE and explore its latent space. "
                     "With no command, opens the desktop app.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="train a model and save it to an .h5 file")
    train.add_argument("--data", default=None, help="dataset: a name (mnist-10k, the default) or a path")
    train.add_argument("--image-size", type=_size, default=None, help="resize image folders to HxW")
    train.add_argument("--preset", default=None, help="tutorial, dcgan, dense or default")
    train.add_argument("--latent-dim", type=int, default=None)
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--beta", type=float, default=None, help="KL weight (default 1)")
    train.add_argument("--kl-warmup", type=int, default=None, help="epochs to ramp β up linearly")
    train.add_argument("--reconstruction", choices=("bce", "mse"), default=None)
    train.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 1e-3)")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--resume", default=None, metavar="MODEL.h5", help="continue a saved model")
    train.add_argument("--out", required=True, metavar="MODEL.h5")
    _add_record_options(train)

    export = sub.add_parser("export", help="write images (PNG) or a .keras file from a model")
    export.add_argument("model", metavar="MODEL.h5")
    export.add_argument("--what", required=True, choices=(
        "grid", "samples", "interpolate", "traverse", "reconstructions", "layout", "keras", "keras-decoder"))
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument("--n", type=int, default=15, help="grid: n×n tiles (default 15)")
    export.add_argument("--radius", type=float, default=4.0, help="grid: span [-r, r] (default 4)")
    export.add_argument("--quantiles", action="store_true", help="grid: over N(0,1) quantiles")
    export.add_argument("--count", type=int, default=64, help="samples/reconstructions: how many")
    export.add_argument("--seed", type=int, default=0)
    export.add_argument("--from", dest="start", type=_floats, default=None, help="interpolate: z,z,…")
    export.add_argument("--to", dest="end", type=_floats, default=None, help="interpolate: z,z,…")
    export.add_argument("--steps", type=int, default=10, help="interpolate/traverse: frames")
    export.add_argument("--method", choices=("linear", "spherical"), default="linear")
    export.add_argument("--at", type=_floats, default=None, help="traverse: the centre point")
    export.add_argument("--span", type=float, default=3.0, help="traverse: ±span (default 3)")
    export.add_argument("--data", default=None, help="reconstructions: dataset (default: the model's)")
    export.add_argument("--scale", type=int, default=2, help="enlarge pixels by this factor")
    export.add_argument("--layout", choices=LAYOUT_NAMES, default=None,
                        help="layout: the map's layout (default: what the app shows first: the latent "
                             "plane for latent dim ≤ 2, else tsne); writes index,x,y,label CSV")

    ev = sub.add_parser("eval", help="held-out negative ELBO as one JSON line")
    ev.add_argument("model", metavar="MODEL.h5")
    ev.add_argument("--data", default=None)
    ev.add_argument("--map", action="store_true",
                    help="add a 'map' object: per layout, legibility (5-NN label accuracy in the plane), "
                         "inverse_mae and seconds; and latent_knn, the same k-NN in the latent space")
    _add_likelihood_options(ev)
    _add_runs_command(sub)

    info = sub.add_parser("info", help="what a model file holds")
    info.add_argument("model", metavar="MODEL.h5")
    info.add_argument("--json", action="store_true")
    return parser


def _add_record_options(train) -> None:
    train.add_argument("--tensorboard", default=None, metavar="DIR", help="write TensorBoard logs to DIR")
    train.add_argument("--tensorboard-every", type=int, default=50, metavar="N", help="batch scalars every N batches")
    train.add_argument("--runs-dir", default=None, metavar="DIR", help="keep the run record in DIR "
                       "(default: MODEL.h5.run.json beside the model)")


def _add_likelihood_options(ev) -> None:
    ev.add_argument("--iw", type=int, default=None, metavar="K", help="importance-weighted bound on log p(x), K samples")
    ev.add_argument("--per-class", action="store_true", help="--iw: the bound per label too")
    ev.add_argument("--binarize", action="store_true", help="evaluate on binarised images (pixels > 0.5)")
    ev.add_argument("--seed", type=int, default=0, help="--iw: seed of the samples")
    ev.add_argument("--record", default=None, metavar="RUN.json", help="--iw: add the figures to this run "
                    "record (default: MODEL.h5.run.json when it exists)")


def _add_runs_command(sub) -> None:
    runs = sub.add_parser("runs", help="list run records (table, or --json lines)")
    runs.add_argument("places", nargs="*", metavar="DIR", help="folders or record files (default: .)")
    runs.add_argument("--json", action="store_true")


POINT_OPTIONS = ("--from", "--to", "--at")


def _attach_points(argv: list[str]) -> list[str]:
    """``--from -2,0.5`` → ``--from=-2,0.5``: argparse would take a point starting with '-' for an option."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in POINT_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            try:
                _floats(argv[i + 1])
            except argparse.ArgumentTypeError:
                pass  # not a point: let argparse report the missing value
            else:
                out.append(f"{argv[i]}={argv[i + 1]}")
                i += 2
                continue
        out.append(argv[i])
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(_attach_points(list(argv)))
        return {"train": cmd_train, "export": cmd_export, "eval": cmd_eval, "info": cmd_info, "runs": cmd_runs}[
            args.command](args)
    except UserError as exc:
        print(f"vae-explorer: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("vae-explorer: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dataset_spec(args, description: dict | None = None):
    """``--data`` if given, else the dataset a model file describes (its path, else its name)."""
    if args.data is not None:
        return args.data
    description = description or {}
    source, name = description.get("source", ""), description.get("name")
    if source and os.path.exists(source):
        return source
    return name or None


def _model_dataset(args, loaded):
    """The dataset to evaluate or reconstruct with, split with the model's seed (the same
    held-out images as in training), and checked against the model's image shape."""
    from vae_explorer.trainer.data import load_dataset

    dataset = load_dataset(_dataset_spec(args, loaded.dataset), seed=loaded.config.seed)
    if dataset.image_shape != tuple(loaded.model.image_shape):
        raise UserError(f"holds {dataset.image_shape} images but the model takes "
                        f"{tuple(loaded.model.image_shape)}", dataset.source)
    return dataset


def cmd_train(args) -> int:
    from vae_explorer.trainer.config import TrainConfig
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.modelfile import load_model, save_model
    from vae_explorer.trainer.progress import ProgressBar
    from vae_explorer.trainer.training import Trainer

    _check_writable(args.out)
    overrides = {"batch_size": args.batch_size, "beta": args.beta, "kl_warmup_epochs": args.kl_warmup,
                 "reconstruction": args.reconstruction, "learning_rate": args.lr, "seed": args.seed}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    model = history = None
    if args.resume:
        loaded = load_model(args.resume)
        fixed = {"preset": args.preset, "latent_dim": args.latent_dim}
        for key, value in fixed.items():
            if value is not None and value != getattr(loaded.config, key):
                raise UserError(f"--{key.replace('_', '-')} {value} differs from the model's "
                                f"{getattr(loaded.config, key)}; a resumed model keeps its architecture",
                                args.resume)
        config = TrainConfig.from_dict({**loaded.config.to_dict(), **overrides, "epochs": args.epochs})
        model, history = loaded.model, loaded.history
        dataset = load_dataset(_dataset_spec(args, loaded.dataset), args.image_size,
                               seed=config.seed)
    else:
        config = TrainConfig(preset=args.preset or "default", latent_dim=args.latent_dim,
                             epochs=args.epochs, **overrides)
        dataset = load_dataset(args.data, args.image_size, seed=config.seed)
    for warning in dataset.warnings:
        print(f"vae-explorer: warning: {warning}", file=sys.stderr)
    trainer = Trainer(config, dataset, model=model, history=history, listener=ProgressBar())
    board, record = _start_records(args, trainer, config, dataset)
    print(f"training '{config.preset}' (latent {config.latent_dim}) on {dataset.name}: "
          f"{len(dataset.x_train)} train / {len(dataset.x_test)} held-out images "
          f"{'×'.join(map(str, dataset.image_shape))}", file=sys.stderr)
    previous = signal.signal(signal.SIGINT, lambda *_: trainer.request_stop())
    try:
        result = trainer.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    codes = trainer.latent.codes(dataset.x_test, dataset.y_test)
    save_model(args.out, trainer.model, config, result.history, dataset.describe(), codes)
    _finish_records(board, record, result, codes)
    last = result.history[-1]["val_neg_elbo"] if result.history else float("nan")
    print(f"saved {args.out}: {result.epochs_done} epoch(s), held-out -ELBO {last:.2f}", file=sys.stderr)
    if result.status == "stopped":
        print(f"vae-explorer: interrupted: {result.message}; saved what was trained", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.status == "diverged":
        print(f"vae-explorer: error: {result.message}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _start_records(args, trainer, config, dataset):
    """TensorBoard logs (with ``--tensorboard``) and the run record (always) of ``train``."""
    from vae_explorer.trainer.runs import start_run
    from vae_explorer.trainer.tensorboard_log import attach

    board = attach(trainer, dataset, args.tensorboard, args.tensorboard_every)
    record = start_run(args.out, config.to_dict(), dataset.describe(), args.runs_dir, resumed_from=args.resume,
                       tensorboard=args.tensorboard and os.path.abspath(args.tensorboard))
    return board, record


def _finish_records(board, record, result, codes) -> None:
    from vae_explorer.trainer.runs import finish_run

    if board is not None:
        board.close(codes)
    finish_run(record, result.status, result.message, result.history)


def _check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError("folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise UserError("folder is not writable", folder)


def cmd_export(args) -> int:
    from vae_explorer.trainer.modelfile import export_keras, load_model

    if args.what in ("keras", "keras-decoder"):
        loaded = load_model(args.model)
        export_keras(args.out, loaded.model, "vae" if args.what == "keras" else "decoder")
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    if args.what == "layout":
        return _export_layout(args)
    from vae_explorer.trainer.imagegrid import upscale, write_png

    _check_writable(args.out)
    if not args.out.lower().endswith(".png"):
        raise UserError("image exports are PNG files: name it .png", args.out)
    loaded = load_model(args.model)
    image = _render(loaded, args)
    write_png(args.out, upscale(image, args.scale))
    print(f"wrote {args.out} ({image.shape[1] * max(1, args.scale)}×{image.shape[0] * max(1, args.scale)})",
          file=sys.stderr)
    return 0


def _render(loaded, args):
    """The image ``export --what`` asks for."""
    from vae_explorer.trainer import exports
    from vae_explorer.trainer.latent import LatentSpace, Projection

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
        return exports.traversal_sheet(space, _point(args.at, dim, "--at", np.zeros(dim)),
                                       args.steps, args.span)
    return exports.reconstruction_sheet(space, _model_dataset(args, loaded).x_test, args.count)


def _point(values, dim: int, option: str, fallback):
    if values is None:
        return np.asarray(fallback, np.float32)
    if len(values) != dim:
        raise UserError(f"{option} needs {dim} comma-separated numbers (the latent dimension), got {len(values)}")
    return np.asarray(values, np.float32)


def _export_layout(args) -> int:
    """The held-out images' map coordinates as CSV: what the app shows, checkable by anyone."""
    from vae_explorer.trainer.exports import write_layout_csv
    from vae_explorer.trainer.layouts import default_layout_name, make_layout
    from vae_explorer.trainer.modelfile import load_model

    _check_writable(args.out)
    if not args.out.lower().endswith(".csv"):
        raise UserError("a layout export is a CSV file: name it .csv", args.out)
    loaded = load_model(args.model)
    if loaded.latent is None:
        raise UserError("holds no encoded held-out images to lay out (train or save it with this version)",
                        args.model)
    means = loaded.latent.means
    name = args.layout or default_layout_name(means.shape[1])
    try:
        layout = make_layout(name, means, seed=args.seed, n_jobs=2)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    plane = layout.to_plane(means) if layout.exact else layout.plane
    write_layout_csv(args.out, plane, loaded.latent.labels, loaded.dataset.get("label_names"), name)
    print(f"wrote {args.out} ({len(plane)} points, layout {name})", file=sys.stderr)
    return 0


def cmd_eval(args) -> int:
    from vae_explorer.trainer.likelihood import binarize
    from vae_explorer.trainer.modelfile import load_model
    from vae_explorer.trainer.training import HeldOutEvaluator

    if args.iw is None and (args.per_class or args.record):
        raise UserError("--per-class and --record go with --iw K")
    loaded = load_model(args.model)
    dataset = _model_dataset(args, loaded)
    x = binarize(dataset.x_test) if args.binarize else dataset.x_test
    terms = HeldOutEvaluator(loaded.model)(x)
    result = {"model": args.model, "data": dataset.name, "n": int(len(dataset.x_test)),
              "neg_elbo": terms["neg_elbo"], "reconstruction": terms["reconstruction_loss"],
              "kl": terms["kl_loss"], "loss": terms["loss"]}
    if args.map:
        result["map"] = _map_figures(loaded.model, dataset)
    if args.iw is not None:
        result.update(_likelihood(args, loaded, dataset, x))
    print(json.dumps(result))
    return 0


def _likelihood(args, loaded, dataset, x) -> dict:
    """``eval --iw``: the importance-weighted figures, also added to the model's run record."""
    from vae_explorer.trainer.likelihood import likelihood_figures
    from vae_explorer.trainer.runs import add_likelihood, record_for_model

    if args.per_class and dataset.y_test is None:
        raise UserError("has no labels, which --per-class needs", dataset.source or dataset.name)
    record, warning = record_for_model(args.model, loaded.history, args.record)  # before the long part
    if warning:
        print(f"vae-explorer: warning: {warning}", file=sys.stderr)
    labels = dataset.y_test if args.per_class else None
    figures = likelihood_figures(loaded.model, x, args.iw, args.seed, labels, args.binarize, args.model).to_dict()
    if record is not None:
        path = add_likelihood(record, {**figures, "data": dataset.name, "n": len(x), "seed": args.seed})
        print(f"added the likelihood figures to {path}", file=sys.stderr)
    return figures


def _map_figures(model, dataset) -> dict:
    from vae_explorer.trainer.latent import LatentSpace
    from vae_explorer.trainer.map_figures import map_figures

    space = LatentSpace(model)
    return map_figures(space.encode(dataset.x_test)[0], dataset.y_test, space.decode)


def cmd_runs(args) -> int:
    """List run records as a table (or JSON lines); unreadable records are skipped with a warning."""
    from vae_explorer.trainer import runs_table
    from vae_explorer.trainer.runs import list_records

    records, warnings = list_records(args.places or ["."])
    for warning in warnings:
        print(f"vae-explorer: warning: {warning}", file=sys.stderr)
    if not records:
        print(f"no run records in {', '.join(args.places or ['.'])}", file=sys.stderr)
    elif args.json:
        print(runs_table.json_lines(records))
    else:
        print(runs_table.table(records))
    return 0


def cmd_info(args) -> int:
    """Describe a model file, after the checks loading makes: a file that ``eval`` or the app
    would refuse is reported as damaged (exit 2), never summarised as healthy."""
    from vae_explorer.trainer.modelfile import load_model, read_header

    header = read_header(args.model)
    try:
        load_model(args.model)
        problem = None
    except UserError as exc:
        problem = str(exc)
    if args.json:
        print(json.dumps({**header, "ok": problem is None, "error": problem}))
    elif problem:
        print(f"vae-explorer: error: {problem}", file=sys.stderr)
    else:
        print(_info_text(args.model, header))
    return EXIT_USAGE if problem else 0


def _info_text(path: str, header: dict) -> str:
    n_weights, n_codes = header["parameters"], header["latent_codes"]
    c, d, h = header["config"], header["dataset"], header["history"]
    lines = [
        f"{path}: {header['format']} v{header['format_version']}, written by "
        f"{header['written_by']} on {header['created']}",
        f"  model:   preset '{c.get('preset')}', latent dim {c.get('latent_dim')}, image "
        f"{'×'.join(map(str, c.get('image_shape', [])))}, {n_weights:,} parameters",
        f"  loss:    {c.get('reconstruction')} + β={c.get('beta')}·KL"
        f"{', warm-up ' + str(c.get('kl_warmup_epochs')) + ' epochs' if c.get('kl_warmup_epochs') else ''}",
        f"  trained: {len(h)} epoch(s), batch {c.get('batch_size')}, lr {c.get('learning_rate')}, "
        f"seed {c.get('seed')}",
    ]
    if h:
        lines.append(f"  last:    loss {h[-1].get('loss', float('nan')):.2f}, held-out -ELBO "
                     f"{h[-1].get('val_neg_elbo', float('nan')):.2f}")
    if d:
        lines.append(f"  data:    {d.get('name')} ({d.get('n_train')} train / {d.get('n_test')} held out) "
                     f"from {d.get('source')}")
    lines.append(f"  map:     {n_codes} encoded held-out images" if n_codes else "  map:     none stored")
    return "\n".join(lines)

