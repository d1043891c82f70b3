"""``vae-explorer train|export|eval|info|runs|encode``: the headless commands.

Every user mistake ends as one line on stderr naming the file and the problem, and exit 2;
TensorFlow is imported only by the commands that need it, so ``--help`` is fast (``info``
loads the model to check it, as ``eval`` would).
"""

from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np

from vae_explorer.trainer.cli_args import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, KERAS_PARTS, attach_points, build_parser
from vae_explorer.trainer.config import OBJECTIVE_LABELS
from vae_explorer.trainer.cli_encode import cmd_encode
from vae_explorer.trainer.cli_info import cmd_info, cmd_runs
from vae_explorer.trainer.errors import UserError

COMMANDS = ("train", "export", "eval", "info", "runs", "encode")


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(attach_points(list(argv)))
        return {"train": cmd_train, "export": cmd_export, "eval": cmd_eval, "info": cmd_info, "runs": cmd_runs,
                "encode": cmd_encode}[
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


def _model_dataset(args, loaded, model_path: str):
    """The data a model was trained on (or ``--data``), for ``eval``, ``export`` and ``--resume``:
    an image folder is decoded at the model's image size (or ``--image-size``), a dataset without
    a split is split as the file recorded, and the held-out images are checked against the
    file's checksum. Returns the dataset and ``verified``, ``differs`` or ``unverified``."""
    from vae_explorer.trainer.data import SPLIT_SEED, load_dataset
    from vae_explorer.trainer.data.dataset import recorded_split_seed

    shape = tuple(loaded.model.image_shape)
    split_seed = recorded_split_seed(loaded.dataset)
    stream = getattr(args, "stream", None)  # a model trained on a streamed set: its held-out sample
    stream = True if stream is None and "held_out_sample" in loaded.dataset else stream
    dataset = load_dataset(_dataset_spec(args, loaded.dataset), args.image_size or shape[:2],
                           split_seed=SPLIT_SEED if split_seed is None else split_seed, stream=stream)
    if dataset.image_shape != shape:
        raise UserError(f"holds {dataset.image_shape} images but the model takes {shape}", dataset.source)
    return dataset, _check_held_out(dataset, loaded.dataset, model_path)


def _check_held_out(dataset, description: dict, model_path: str) -> str:
    """Say in one line when the held-out images may not be those the model held out."""
    from vae_explorer.trainer.data.dataset import held_out_status

    status = held_out_status(dataset, description)
    if status == "differs":
        print(f"vae-explorer: warning: {dataset.source}: the held-out images are not the images "
              f"{model_path} held out in training (checksum differs)", file=sys.stderr)
    elif status == "unverified" and dataset.split.get("method") == "random":
        print(f"vae-explorer: warning: {model_path}: records no held-out checksum (saved by an older "
              "version): cannot check that these are the images it held out", file=sys.stderr)
    return status


def cmd_train(args) -> int:
    from vae_explorer.trainer import periodic_save
    from vae_explorer.trainer.config import TrainConfig
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.modelfile import save_model
    from vae_explorer.trainer.progress import ProgressBar
    from vae_explorer.trainer.strategies import make_scaling, make_trainer

    scaling = make_scaling(args.strategy)  # first: a multi-worker strategy must precede any TF op
    if scaling.chief:  # the others write nothing: --out may be a path on the chief's machine only
        _check_writable(args.out)
    overrides = {"batch_size": args.batch_size, "beta": args.beta, "kl_warmup_epochs": args.kl_warmup,
                 "reconstruction": args.reconstruction, "learning_rate": args.lr, "seed": args.seed}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if args.resume:
        config, model, history, dataset = _resumed(args, overrides)
    else:
        config = TrainConfig(preset=args.preset or "default", latent_dim=args.latent_dim,
                             epochs=args.epochs, **overrides)
        model, history, dataset = None, None, load_dataset(args.data, args.image_size, stream=args.stream)
    trainer = make_trainer(scaling, config, dataset, model=model, history=history,
                           listener=ProgressBar() if scaling.chief else None)
    if not scaling.chief:  # a worker of a multi-worker run: trains its share, writes nothing
        return _report_trained(None, config, _run_stoppable(trainer))
    for warning in dataset.warnings:
        print(f"vae-explorer: warning: {warning}", file=sys.stderr)
    board, record = _start_records(args, trainer, config, dataset)
    periodic_save.attach(trainer, args.out, args.save_every)
    print(f"training '{config.preset}' (latent {config.latent_dim}) on {dataset.name}: "
          f"{dataset.describe()['n_train']} train / {len(dataset.x_test)} held-out images "
          f"{'×'.join(map(str, dataset.image_shape))} ({scaling.describe()})", file=sys.stderr)
    result = _run_stoppable(trainer)
    codes = trainer.latent.codes(dataset.x_test, dataset.y_test)
    save_model(args.out, trainer.model, config, result.history, dataset.describe(), codes)
    _finish_records(board, record, result, codes)
    return _report_trained(args.out, config, result)


def _run_stoppable(trainer):
    """``trainer.run()`` with Ctrl-C asking it to stop between two batches."""
    previous = signal.signal(signal.SIGINT, lambda *_: trainer.request_stop())
    try:
        return trainer.run()
    finally:
        signal.signal(signal.SIGINT, previous)


def _report_trained(out: str | None, config, result) -> int:
    """The last line of ``train`` and its exit code: 0, 130 (stopped) or 1 (diverged); ``out``
    None: a multi-worker run's non-chief worker, which only reports what went wrong."""
    last = result.history[-1]["val_neg_elbo"] if result.history else float("nan")
    if out is not None:
        print(f"saved {out}: {result.epochs_done} epoch(s), held-out "
              f"{OBJECTIVE_LABELS[config.objective]} {last:.2f}", file=sys.stderr)
    if result.status == "stopped":
        saved = "saved what was trained" if out is not None else "the chief saves what was trained"
        print(f"vae-explorer: interrupted: {result.message}; {saved}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.status == "diverged":
        print(f"vae-explorer: error: {result.message}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _resumed(args, overrides: dict):
    """Config, model, history and data of ``--resume``: the architecture is the file's, the data
    are reloaded at its image size with its held-out split."""
    from vae_explorer.trainer.modelfile import load_model

    loaded = load_model(args.resume)
    try:
        config = loaded.config.continued(preset=args.preset, latent_dim=args.latent_dim, epochs=args.epochs,
                                         **overrides)
    except UserError as exc:
        raise UserError(exc.problem, args.resume) from None
    dataset, _ = _model_dataset(args, loaded, args.resume)
    return config, loaded.model, loaded.history, dataset


def _start_records(args, trainer, config, dataset):
    """TensorBoard logs (with ``--tensorboard``) and the run record (always) of ``train``."""
    from vae_explorer.trainer.runs import start_run
    from vae_explorer.trainer.tensorboard_log import attach

    board = attach(trainer, dataset, args.tensorboard, args.tensorboard_every)
    try:
        record = start_run(args.out, config.to_dict(), dataset.describe(), args.runs_dir,
                           resumed_from=args.resume, tensorboard=args.tensorboard and os.path.abspath(args.tensorboard))
    except UserError as exc:
        if args.runs_dir:  # a folder the user named is a mistake to report
            raise
        # beside the model: the record is secondary; train, and let the model's own save speak
        print(f"vae-explorer: warning: no run record: {exc}", file=sys.stderr)
        record = None
    return board, record


def _finish_records(board, record, result, codes) -> None:
    from vae_explorer.trainer.runs import finish_run

    if board is not None:
        board.close(codes)
    if record is not None:
        finish_run(record, result.status, result.message, result.history)


def _check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError("folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        raise UserError("folder is not writable", folder)


def cmd_export(args) -> int:
    from vae_explorer.trainer.modelfile import load_model

    if args.what in KERAS_PARTS:
        from vae_explorer.trainer.keras_export import export_keras

        loaded = load_model(args.model)
        export_keras(args.out, loaded.model, KERAS_PARTS[args.what])
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
    return exports.reconstruction_sheet(space, _model_dataset(args, loaded, args.model)[0].x_test, args.count)


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
    dataset, held_out = _model_dataset(args, loaded, args.model)
    x = binarize(dataset.x_test) if args.binarize else dataset.x_test
    terms = HeldOutEvaluator(loaded.model)(x)
    result = {"model": args.model, "data": dataset.name, "n": int(len(dataset.x_test)),
              "held_out": held_out, "objective": loaded.config.objective,
              loaded.config.objective: terms["neg_elbo"],
              "reconstruction": terms["reconstruction_loss"], "kl": terms["kl_loss"], "loss": terms["loss"]}
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
