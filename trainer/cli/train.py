"""``vae-explorer train``: one process, several replicas or workers, or a streamed dataset; the
model file, its run record and TensorBoard logs; Ctrl-C, divergence and ``--save-every``."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, TypeAlias

from vae_explorer.trainer.cli.args import EXIT_FAILED, EXIT_INTERRUPTED
from vae_explorer.trainer.cli.data import check_writable, model_dataset
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.model.config import OBJECTIVE_LABELS, TrainConfig

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset
    from vae_explorer.trainer.files.run_record import RunRecord
    from vae_explorer.trainer.model.space import LatentCodes
    from vae_explorer.trainer.model.vae import VAE
    from vae_explorer.trainer.training.loop import Trainer, TrainResult
    from vae_explorer.trainer.training.tensorboard_log import TensorBoardLog

# What a run starts from: its config, the model and history it continues (None: a new one), its data.
Start: TypeAlias = "tuple[TrainConfig, VAE | None, list[dict] | None, AnyDataset]"


def cmd_train(args: argparse.Namespace) -> int:
    from vae_explorer.trainer.files.modelfile import save_model
    from vae_explorer.trainer.training import periodic_save
    from vae_explorer.trainer.training.progress import ProgressBar
    from vae_explorer.trainer.training.strategies import make_scaling, make_trainer

    scaling = make_scaling(args.strategy)  # first: a multi-worker strategy must precede any TF op
    if scaling.chief:  # the others write nothing: --out may be a path on the chief's machine only
        check_writable(args.out)
    config, model, history, dataset = _start(args)
    trainer = make_trainer(
        scaling, config, dataset, model=model, history=history, listener=ProgressBar() if scaling.chief else None
    )
    if not scaling.chief:  # a worker of a multi-worker run: trains its share, writes nothing
        return _report_trained(None, config, _run_stoppable(trainer))
    for warning in dataset.warnings:
        print(f"vae-explorer: warning: {warning}", file=sys.stderr)
    board, record = _start_records(args, trainer, config, dataset)
    periodic_save.attach(trainer, args.out, args.save_every)
    print(
        f"training '{config.preset}' (latent {config.latent_dim}) on {dataset.name}: "
        f"{dataset.describe()['n_train']} train / {len(dataset.x_test)} held-out images "
        f"{'×'.join(map(str, dataset.image_shape))} ({scaling.describe()})",
        file=sys.stderr,
    )
    try:
        result = _run_stoppable(trainer)
        codes = trainer.latent.codes(dataset.x_test, dataset.y_test)
        save_model(args.out, trainer.model, config, result.history, dataset.describe(), codes)
    except Exception as exc:  # a full disk, a bug: the record says the run failed, then the error is said
        _record_failure(record, exc, trainer.history)
        raise
    _finish_records(board, record, result, codes)
    return _report_trained(args.out, config, result)


def _start(args: argparse.Namespace) -> Start:
    """The config, model, history and data of a new run, or of ``--resume``."""
    from vae_explorer.trainer.data import load_dataset

    overrides = {
        "batch_size": args.batch_size,
        "beta": args.beta,
        "kl_warmup_epochs": args.kl_warmup,
        "reconstruction": args.reconstruction,
        "learning_rate": args.lr,
        "seed": args.seed,
    }
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if args.resume:
        return _resumed(args, overrides)
    config = TrainConfig(preset=args.preset or "default", latent_dim=args.latent_dim, epochs=args.epochs, **overrides)
    return config, None, None, load_dataset(args.data, args.image_size, stream=args.stream)


def _run_stoppable(trainer: Trainer) -> TrainResult:
    """``trainer.run()`` with Ctrl-C asking it to stop between two batches."""
    previous = signal.signal(signal.SIGINT, lambda *_: trainer.request_stop())
    try:
        return trainer.run()
    finally:
        signal.signal(signal.SIGINT, previous)


def _report_trained(out: str | None, config: TrainConfig, result: TrainResult) -> int:
    """The last line of ``train`` and its exit code: 0, 130 (stopped) or 1 (diverged); ``out``
    None: a multi-worker run's non-chief worker, which only reports what went wrong."""
    last = result.history[-1]["val_neg_elbo"] if result.history else float("nan")
    if out is not None:
        print(
            f"saved {out}: {result.epochs_done} epoch(s), held-out {OBJECTIVE_LABELS[config.objective]} {last:.2f}",
            file=sys.stderr,
        )
    if result.status == "stopped":
        saved = "saved what was trained" if out is not None else "the chief saves what was trained"
        print(f"vae-explorer: interrupted: {result.message}; {saved}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.status == "diverged":
        print(f"vae-explorer: error: {result.message}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _resumed(args: argparse.Namespace, overrides: dict[str, Any]) -> Start:
    """Config, model, history and data of ``--resume``: the architecture is the file's, the data
    are reloaded at its image size with its held-out split."""
    from vae_explorer.trainer.files.modelfile import load_model

    loaded = load_model(args.resume)
    try:
        config = loaded.config.continued(
            preset=args.preset, latent_dim=args.latent_dim, epochs=args.epochs, **overrides
        )
    except UserError as exc:
        raise UserError(exc.problem, args.resume) from None
    dataset, _ = model_dataset(args, loaded, args.resume)
    return config, loaded.model, loaded.history, dataset


def _start_records(
    args: argparse.Namespace, trainer: Trainer, config: TrainConfig, dataset: AnyDataset
) -> tuple[TensorBoardLog | None, RunRecord | None]:
    """TensorBoard logs (with ``--tensorboard``) and the run record (always) of ``train``."""
    from vae_explorer.trainer.files.runs import start_run
    from vae_explorer.trainer.training.tensorboard_log import attach

    board = attach(trainer, dataset, args.tensorboard, args.tensorboard_every)
    try:
        record = start_run(
            args.out,
            config.to_dict(),
            dataset.describe(),
            args.runs_dir,
            resumed_from=args.resume,
            tensorboard=args.tensorboard and os.path.abspath(args.tensorboard),
        )
    except UserError as exc:
        if args.runs_dir:  # a folder the user named is a mistake to report
            raise
        # beside the model: the record is secondary; train, and let the model's own save speak
        print(f"vae-explorer: warning: no run record: {exc}", file=sys.stderr)
        record = None
    return board, record


def _record_failure(record: RunRecord | None, exc: Exception, history: list[dict]) -> None:
    """The run record of a run that ended in an error: ``failed``, with the error's line."""
    from vae_explorer.trainer.files.runs import finish_run

    if record is None:
        return
    message = str(exc) if isinstance(exc, UserError) else f"unexpected error: {type(exc).__name__}: {exc}"
    with contextlib.suppress(UserError):  # the error itself is what the user must hear about
        finish_run(record, "failed", message, list(history))


def _finish_records(
    board: TensorBoardLog | None, record: RunRecord | None, result: TrainResult, codes: LatentCodes
) -> None:
    from vae_explorer.trainer.files.runs import finish_run

    if board is not None:
        board.close(codes)
    if record is not None:
        finish_run(record, result.status, result.message, result.history)
