"""``vae-explorer info`` and ``vae-explorer runs``: the commands that describe files already written.

They share nothing with training but the exit codes; kept apart so that ``cli.py`` holds the
commands that build, train and evaluate models.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from vae_explorer.trainer.cli.args import EXIT_USAGE
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.model.config import OBJECTIVE_LABELS, OBJECTIVES

if TYPE_CHECKING:
    from vae_explorer.trainer.files.modelfile import ModelFile


def cmd_runs(args: argparse.Namespace) -> int:
    """List run records as a table (or JSON lines); unreadable records are skipped with a warning."""
    from vae_explorer.trainer.files import runs_table
    from vae_explorer.trainer.files.runs import list_records

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


def cmd_info(args: argparse.Namespace) -> int:
    """Describe a model file, after the checks loading makes: a file that ``eval`` or the app
    would refuse is reported as damaged (exit 2), never summarised as healthy."""
    from vae_explorer.trainer.files.modelfile import load_model, read_header

    header = read_header(args.model)
    try:
        header.update(_health_of(load_model(args.model)))
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


def _health_of(loaded: ModelFile) -> dict:
    """``active_units`` and ``health`` (latent.health) from the held-out codes the file keeps."""
    from vae_explorer.trainer.latent.health import latent_health

    codes = loaded.latent
    if codes is None or codes.log_vars is None or not len(codes.means):
        return {}
    health = latent_health(codes.means, codes.log_vars)
    return {"active_units": health.active_units, "health": health.to_json()}


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
        f"  trained: {len(h)} epoch(s), batch {c.get('batch_size')}, lr {c.get('learning_rate')}, seed {c.get('seed')}",
    ]
    if h:
        label = OBJECTIVE_LABELS[OBJECTIVES.get(c.get("reconstruction"), "neg_elbo")]
        lines.append(
            f"  last:    loss {h[-1].get('loss', float('nan')):.2f}, held-out {label} "
            f"{h[-1].get('val_neg_elbo', float('nan')):.2f}"
        )
    if d:
        lines.append(
            f"  data:    {d.get('name')} ({d.get('n_train')} train / {d.get('n_test')} held out) from {d.get('source')}"
        )
        sample = d.get("held_out_sample")
        if isinstance(sample, dict):  # a streamed dataset: its held-out set is a bounded sample
            lines.append(
                f"  held out: streamed; a sample of {sample.get('n')} of {sample.get('of')} "
                f"images (seed {sample.get('seed')})"
            )
    lines.append(f"  map:     {n_codes} encoded held-out images" if n_codes else "  map:     none stored")
    if "active_units" in header:
        lines.append(f"  latent:  {header['active_units']} of {c.get('latent_dim')} dimensions active (held-out codes)")
    return "\n".join(lines)
