"""Epoch time of ``train --strategy multi-worker`` with 1 and 2 worker processes on this machine.

    python tests/benchmarks/scaling.py                     # embedded MNIST, 3 epochs, `default` preset
    python tests/benchmarks/scaling.py --quick             # a smoke run: 600 images, 2 epochs
    python tests/benchmarks/scaling.py --json scaling.json --epochs 5 --preset tutorial

Each configuration starts its workers as separate processes on 127.0.0.1 (free ports, TF_CONFIG,
ring all-reduce), exactly as the README's cluster recipe does across machines, plus the
one-process trainer (``--strategy default``) as the baseline; the global batch is the same in
all. Epoch times come from the chief's model file (the history's cumulative ``elapsed``); the
first epoch is reported apart, since it includes the graphs' first runs. On one machine the
workers share its cores, so this measures the overhead of the distributed step, not a speed-up:
that needs one worker per machine (or per GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = "import sys; from vae_explorer.trainer.cli import main; sys.exit(main(sys.argv[1:]))"
TIMEOUT = 3600


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports free on 127.0.0.1 right now (for TF_CONFIG; the tests use it too)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def launch(train_args: list[str], workers: int, folder: str) -> list[subprocess.Popen]:
    """``workers`` processes of one cluster (none: one process with the default strategy)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if workers == 0:
        argv = [sys.executable, "-c", CLI, "train", *train_args, "--strategy", "default"]
        return [subprocess.Popen(argv, cwd=folder, env=env, stderr=subprocess.PIPE, text=True)]
    hosts = [f"127.0.0.1:{p}" for p in free_ports(workers)]
    procs = []
    for index in range(workers):
        task = json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}})
        argv = [sys.executable, "-c", CLI, "train", *train_args, "--strategy", "multi-worker"]
        procs.append(
            subprocess.Popen(argv, cwd=folder, env={**env, "TF_CONFIG": task}, stderr=subprocess.PIPE, text=True)
        )
    return procs


def run_config(train_args: list[str], workers: int) -> dict:
    """Train once with ``workers`` processes; the chief's epoch times and the wall time."""
    from vae_explorer.trainer.files.modelfile import read_header

    with tempfile.TemporaryDirectory(prefix="vae-scaling-") as folder:
        start = time.perf_counter()
        procs = launch(train_args + ["--out", "model.h5"], workers, folder)
        try:
            errors = [p.communicate(timeout=TIMEOUT)[1] for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        wall = time.perf_counter() - start
        if any(p.returncode != 0 for p in procs):
            raise SystemExit(f"{workers} worker(s) failed:\n" + "\n".join(e[-2000:] for e in errors))
        history = read_header(os.path.join(folder, "model.h5"))["history"]
    elapsed = [row["elapsed"] for row in history]
    epochs = [b - a for a, b in zip([0.0] + elapsed, elapsed, strict=True)]
    return {
        "workers": workers,
        "first_epoch_s": epochs[0],
        "epoch_s": statistics.median(epochs[1:]) if len(epochs) > 1 else epochs[0],
        "val_neg_elbo": history[-1]["val_neg_elbo"],
        "wall_s": wall,
    }


def quick_data(folder: str) -> str:
    import numpy as np

    from vae_explorer.trainer.data import load_dataset

    small = load_dataset().subset(600, 200)
    path = os.path.join(folder, "quick.npz")
    np.savez(path, x_train=small.x_train, y_train=small.y_train, x_test=small.x_test, y_test=small.y_test)
    return path


def table(rows: list[dict], args) -> str:
    lines = [
        f"Scaling on one machine ({os.cpu_count()} cores): preset {args.preset}, global batch "
        f"{args.batch_size}, {args.epochs} epochs",
        "",
        "| processes | strategy | first epoch (s) | later epochs, median (s) | held-out -ELBO | wall (s) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = "default (one process)" if r["workers"] == 0 else "multi-worker"
        lines.append(
            f"| {max(r['workers'], 1)} | {name} | {r['first_epoch_s']:.2f} | {r['epoch_s']:.2f} | "
            f"{r['val_neg_elbo']:.2f} | {r['wall_s']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="dataset (default: the embedded MNIST)")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="600 images, 2 epochs: checks the script works")
    parser.add_argument("--json", default=None, metavar="FILE")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vae-scaling-data-") as scratch:
        if args.quick:
            args.data, args.epochs = quick_data(scratch), 2
        train_args = [
            "--preset",
            args.preset,
            "--epochs",
            str(args.epochs),
            "--batch-size",
            str(args.batch_size),
            "--seed",
            "0",
        ]
        train_args += ["--data", os.path.abspath(args.data)] if args.data else []
        rows = [run_config(train_args, workers) for workers in (0, 1, 2)]
    print(table(rows, args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "preset": args.preset,
                    "batch_size": args.batch_size,
                    "epochs": args.epochs,
                    "cores": os.cpu_count(),
                    "runs": rows,
                },
                f,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
