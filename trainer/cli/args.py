"""The command line's arguments: argparse with one-line usage errors, and the option types.

Kept apart from ``trainer.cli`` (the commands) and free of TensorFlow, so ``--help`` is fast.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn, TypeAlias

from vae_explorer.trainer.cli.report import add_report
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.maps.layouts import LAYOUT_NAMES
from vae_explorer.trainer.maps.points import WHICH
from vae_explorer.trainer.model.config import DEFAULT_EPOCHS
from vae_explorer.trainer.training.strategies import STRATEGIES

EXIT_USAGE = 2  # a user mistake: one line on stderr naming the file and the problem
EXIT_FAILED = 1  # training diverged
EXIT_INTERRUPTED = 130  # Ctrl-C
KERAS_PARTS = {"keras": "vae", "keras-encoder": "encoder", "keras-decoder": "decoder"}
Subparsers: TypeAlias = "argparse._SubParsersAction[Any]"  # what add_subparsers returns


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
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


def _dims(text: str) -> tuple[int, int]:
    try:
        dims = tuple(int(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        dims = ()
    if len(dims) != 2:
        raise argparse.ArgumentTypeError(f"expected two dimensions like 0,3, got '{text}'")
    return dims[0], dims[1]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got '{text}'")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="vae-explorer",
        description="Train a VAE and explore its latent space. With no command, opens the desktop app.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train(sub)
    _add_export(sub)
    _add_eval_and_info(sub)
    _add_encode(sub)
    add_report(sub)
    return parser


def _add_train(sub: Subparsers) -> None:
    train = sub.add_parser("train", help="train a model and save it to an .h5 file")
    train.add_argument("--data", default=None, help="dataset: a name (mnist-10k, the default) or a path")
    train.add_argument(
        "--image-size", type=_size, default=None, help="resize image folders to HxW (with --resume: the model's size)"
    )
    train.add_argument("--preset", default=None, help="tutorial, dcgan, dense or default")
    train.add_argument("--latent-dim", type=int, default=None)
    train.add_argument("--epochs", type=_positive, default=DEFAULT_EPOCHS, help=f"default {DEFAULT_EPOCHS}")
    train.add_argument("--batch-size", type=int, default=None, help="default: the preset's (64 for default, else 128)")
    train.add_argument("--beta", type=float, default=None, help="KL weight (default 1)")
    train.add_argument("--kl-warmup", type=int, default=None, help="epochs to ramp β up linearly")
    train.add_argument("--reconstruction", choices=("bce", "mse"), default=None)
    train.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the preset's)")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--resume", default=None, metavar="MODEL.h5", help="continue a saved model")
    train.add_argument("--out", required=True, metavar="MODEL.h5")
    train.add_argument(
        "--save-every",
        type=_positive,
        default=None,
        metavar="N",
        help="also save --out (atomically) every N epochs, e.g. for the app's Follow model file",
    )
    _add_record_options(train)
    _add_scaling_options(train)


def _add_export(sub: Subparsers) -> None:
    export = sub.add_parser(
        "export",
        help="write images (PNG) or a .keras file from a model",
        description="keras-encoder and keras-decoder write files that load in plain Keras "
        "(keras.saving.load_model, stock layers only); keras writes the whole VAE, whose VAE and "
        "Sampling classes are ours: load it after 'import vae_explorer.trainer.model.vae'.",
    )
    export.add_argument("model", metavar="MODEL.h5")
    export.add_argument(
        "--what",
        required=True,
        choices=("grid", "samples", "interpolate", "traverse", "reconstructions", "layout", *KERAS_PARTS),
    )
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
    _add_export_data_options(export)


def _add_export_data_options(export: argparse.ArgumentParser) -> None:
    """The options of ``export --what reconstructions`` and ``--what layout``, and ``--scale``."""
    export.add_argument("--data", default=None, help="reconstructions: dataset (default: the model's)")
    export.add_argument(
        "--image-size",
        type=_size,
        default=None,
        help="reconstructions: decode an image folder at HxW (default: the model's size)",
    )
    export.add_argument("--scale", type=int, default=2, help="enlarge pixels by this factor")
    export.add_argument(
        "--layout",
        choices=LAYOUT_NAMES,
        default=None,
        help="layout: the map's layout (default: what the app shows first: the latent "
        "plane for latent dim ≤ 2, else tsne); writes index,x,y,label CSV",
    )
    _add_points(export)
    export.add_argument(
        "--dims",
        type=_dims,
        default=(0, 1),
        metavar="I,J",
        help="layout dims: the two latent dimensions shown (default 0,1)",
    )


def _add_eval_and_info(sub: Subparsers) -> None:
    ev = sub.add_parser("eval", help="held-out negative ELBO (bce) or SSE+KL (mse) as one JSON line")
    ev.add_argument("model", metavar="MODEL.h5")
    ev.add_argument("--data", default=None, help="dataset (default: the model's)")
    ev.add_argument(
        "--image-size", type=_size, default=None, help="decode an image folder at HxW (default: the model's size)"
    )
    ev.add_argument(
        "--map",
        action="store_true",
        help="add a 'map' object: per layout, legibility (5-NN label accuracy in the plane), "
        "inverse_mae and seconds; and latent_knn, the same k-NN in the latent space",
    )
    ev.add_argument("--health", action="store_true", help="add 'health': KL per dimension and active units")
    _add_points(ev)
    _add_likelihood_options(ev)
    _add_runs_command(sub)

    info = sub.add_parser("info", help="what a model file holds")
    info.add_argument("model", metavar="MODEL.h5")
    info.add_argument("--json", action="store_true")


def _add_points(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--points",
        choices=WHICH,
        default="held-out",
        help="--map / layout: which images (default held-out; above 100,000 a stratified sample)",
    )


def _add_record_options(train: argparse.ArgumentParser) -> None:
    train.add_argument("--tensorboard", default=None, metavar="DIR", help="write TensorBoard logs to DIR")
    train.add_argument("--tensorboard-every", type=int, default=50, metavar="N", help="batch scalars every N batches")
    train.add_argument(
        "--runs-dir",
        default=None,
        metavar="DIR",
        help="keep the run record in DIR (default: MODEL.h5.run.json beside the model)",
    )


def _add_scaling_options(train: argparse.ArgumentParser) -> None:
    train.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="auto",
        help="data-parallel training (README, 'Scaling'): mirrored = all local GPUs, "
        "multi-worker = the processes TF_CONFIG names; auto (default) = mirrored "
        "with more than one GPU, else one process",
    )
    memory = train.add_mutually_exclusive_group()
    memory.add_argument(
        "--stream",
        dest="stream",
        action="store_const",
        const=True,
        default=None,
        help="read the training images from disk batch by batch (default: only when "
        "the dataset would not fit in a quarter of the machine's memory)",
    )
    memory.add_argument(
        "--in-memory",
        dest="stream",
        action="store_const",
        const=False,
        help="load the whole dataset into memory whatever its size",
    )


def _add_likelihood_options(ev: argparse.ArgumentParser) -> None:
    ev.add_argument(
        "--iw", type=int, default=None, metavar="K", help="importance-weighted bound on log p(x), K samples"
    )
    ev.add_argument("--per-class", action="store_true", help="--iw: the bound per label too")
    ev.add_argument("--binarize", action="store_true", help="evaluate on binarised images (pixels > 0.5)")
    ev.add_argument("--seed", type=int, default=0, help="--iw: seed of the samples")
    ev.add_argument("--yes", action="store_true", help="--iw: run even when it will take more than an hour")
    ev.add_argument(
        "--record",
        default=None,
        metavar="RUN.json",
        help="--iw: add the figures to this run record (default: MODEL.h5.run.json when it exists)",
    )


def _add_runs_command(sub: Subparsers) -> None:
    runs = sub.add_parser("runs", help="list run records (table, or --json lines)")
    runs.add_argument("places", nargs="*", metavar="DIR", help="folders or record files (default: .)")
    runs.add_argument("--json", action="store_true")


def _add_encode(sub: Subparsers) -> None:
    encode = sub.add_parser(
        "encode", help="encode your own images: latent mean, σ and the 5 nearest held-out labels of each"
    )
    encode.add_argument("model", metavar="MODEL.h5")
    encode.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files, any size, grey or RGB")
    encode.add_argument(
        "--json",
        action="store_true",
        help="one JSON line per image: file, mean, sigma, neighbours (labels), neighbour_indices, inverted",
    )


POINT_OPTIONS = ("--from", "--to", "--at")


def attach_points(argv: list[str]) -> list[str]:
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
