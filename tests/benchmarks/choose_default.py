"""How the ``default`` preset was chosen: held-out negative ELBO reached per second of CPU training.

Each candidate trains on the embedded MNIST (8,000 / 2,000) for the same wall-clock budget;
we print the best held-out -ELBO it reached and when. Run: ``python tests/benchmarks/choose_default.py``
(about 6 minutes with the default budget of 45 s per candidate).
"""

from __future__ import annotations

import argparse
import json
import time

from vae_explorer.trainer.data import load_dataset
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.model.presets import PRESETS, Preset
from vae_explorer.trainer.training.loop import Trainer
from vae_explorer.trainer.training.reports import TrainingListener

CANDIDATES = [
    Preset("tutorial-l2", "conv", (8, 16), 3, (20,), True, 2),
    Preset("tutorial-l8", "conv", (8, 16), 3, (20,), True, 8),
    Preset("c16-32-h64-l8", "conv", (16, 32), 3, (64,), False, 8),
    Preset("c16-32-h128-l16", "conv", (16, 32), 3, (128,), False, 16),
    Preset("c32-64-h256-l8", "conv", (32, 64), 3, (256,), False, 8),
    Preset("dense-256-128-l16", "dense", (), 3, (256, 128), False, 16),
]


class _Budget(TrainingListener):
    def __init__(self, trainer_box, budget):
        self.box, self.budget, self.curve = trainer_box, budget, []

    def on_epoch(self, r):
        self.curve.append((round(r.elapsed, 2), round(r.val_neg_elbo, 2)))
        if r.elapsed >= self.budget:
            self.box[0].request_stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=45.0, help="seconds per candidate")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    data = load_dataset()
    results = []
    for preset in CANDIDATES:
        PRESETS[preset.name] = preset
        box = [None]
        listener = _Budget(box, args.budget)
        trainer = Trainer(TrainConfig(preset=preset.name, epochs=1000, seed=0), data, listener=listener)
        box[0] = trainer
        t0 = time.perf_counter()
        trainer.run()
        best = min(e for _, e in listener.curve)
        results.append(
            {
                "candidate": preset.name,
                "params": trainer.model.count_params(),
                "best_neg_elbo": best,
                "epochs": len(listener.curve),
                "seconds": round(time.perf_counter() - t0, 1),
                "curve": listener.curve,
            }
        )
        print(
            f"{preset.name:22s} params {results[-1]['params']:>9,}  epochs {len(listener.curve):3d}  "
            f"best held-out -ELBO {best:7.2f}",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
