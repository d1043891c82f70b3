"""Soak test: one long training, resident memory after every epoch.

    python tests/benchmarks/soak.py                       # `default` preset, 50 epochs (a few minutes)
    python tests/benchmarks/soak.py --epochs 10 --preset tutorial
    python tests/benchmarks/soak.py --json soak.json

Trains on the embedded MNIST (8,000 / 2,000) through ``trainer.training.loop.Trainer``, exactly as
the app and the CLI do (the held-out set is also encoded each epoch, as in the app), and prints
the RSS (from /proc/self/status, after a garbage collection) after each epoch, then the growth
from epoch 5 to the last. A flat line means nothing accumulates per batch or per epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from benchmarks.memory import rss_mb  # noqa: E402

from vae_explorer.trainer.data import load_dataset  # noqa: E402
from vae_explorer.trainer.model.config import TrainConfig  # noqa: E402
from vae_explorer.trainer.model.presets import PRESETS  # noqa: E402
from vae_explorer.trainer.training.loop import Trainer  # noqa: E402
from vae_explorer.trainer.training.reports import TrainingListener  # noqa: E402

BASELINE_EPOCH = 5


class _EpochMemory(TrainingListener):
    def __init__(self):
        self.rows: list[dict] = []
        self.start()

    def start(self) -> None:
        self._t = time.perf_counter()

    def on_epoch(self, r) -> None:
        now = time.perf_counter()
        row = {
            "epoch": r.epoch,
            "rss_mb": round(rss_mb(), 1),
            "seconds": round(now - self._t, 2),
            "val_neg_elbo": round(r.val_neg_elbo, 2),
        }
        self._t = time.perf_counter()
        self.rows.append(row)
        print(
            f"epoch {r.epoch:3d}/{r.epochs}  RSS {row['rss_mb']:8.1f} MB  {row['seconds']:6.2f} s  "
            f"held-out -ELBO {row['val_neg_elbo']:7.2f}",
            flush=True,
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=50, help="epochs to train (default 50)")
    ap.add_argument("--preset", default="default", choices=sorted(PRESETS), help="architecture (default: default)")
    ap.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    ap.add_argument("--json", metavar="OUT", default=None, help="also write the figures to OUT as JSON")
    args = ap.parse_args(argv)
    if args.epochs < 1:
        ap.error("--epochs must be at least 1")

    start_rss = rss_mb()
    data = load_dataset()
    config = TrainConfig(preset=args.preset, epochs=args.epochs, batch_size=args.batch_size, seed=0)
    listener = _EpochMemory()
    t0 = time.perf_counter()
    trainer = Trainer(config, data, listener=listener, encode_each_epoch=True)
    ready_rss = rss_mb()
    print(
        f"{args.preset}: {trainer.model.count_params():,} parameters, {len(data.x_train):,} train / "
        f"{len(data.x_test):,} held-out images, batch {config.batch_size}; RSS {start_rss:.1f} MB at start, "
        f"{ready_rss:.1f} MB with data and model ready ({time.perf_counter() - t0:.1f} s)",
        flush=True,
    )
    listener.start()
    result = trainer.run()
    total = time.perf_counter() - t0
    rows = listener.rows

    base = rows[min(BASELINE_EPOCH, len(rows)) - 1]
    last = rows[-1]
    growth = last["rss_mb"] - base["rss_mb"]
    per_epoch = growth / max(1, last["epoch"] - base["epoch"])
    peak = max(r["rss_mb"] for r in rows)
    print(f"{result.status}: {result.epochs_done} epochs in {total:.0f} s")
    print(
        f"RSS growth from epoch {base['epoch']} to {last['epoch']}: {growth:+.1f} MB "
        f"({per_epoch:+.2f} MB/epoch); epoch {base['epoch']} {base['rss_mb']:.1f} MB, "
        f"epoch {last['epoch']} {last['rss_mb']:.1f} MB, peak {peak:.1f} MB"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "preset": args.preset,
                    "epochs": args.epochs,
                    "batch_size": config.batch_size,
                    "params": trainer.model.count_params(),
                    "status": result.status,
                    "seconds": round(total, 1),
                    "rss_start_mb": round(start_rss, 1),
                    "rss_ready_mb": round(ready_rss, 1),
                    "baseline_epoch": base["epoch"],
                    "growth_mb": round(growth, 1),
                    "growth_mb_per_epoch": round(per_epoch, 3),
                    "peak_mb": peak,
                    "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                    "per_epoch": rows,
                },
                f,
                indent=1,
            )
        print(f"wrote {args.json}")
    return 0 if result.status == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
