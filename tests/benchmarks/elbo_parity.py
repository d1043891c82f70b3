"""Same model, same result: the held-out −ELBO of our ``tutorial`` preset and of the reference
tutorial after the same number of epochs, for several seeds.

    python tests/benchmarks/elbo_parity.py              # 30 epochs, seeds 0, 1, 2 (about 6 minutes)
    python tests/benchmarks/elbo_parity.py --epochs 2 --seeds 0

A faster trainer is only worth having if it trains the same model as well; issue 15 asks for the
seed-averaged difference to stay within 1 nat. Both sides use batch 128 and Adam 1e-3 on the same
8,000 training images and are scored on the same 2,000 held-out images (ours: the trainer's own
held-out evaluation; the reference: ``fit``'s validation, BCE on the sigmoid output as the
tutorial writes it). ``run.py`` calls ``parity`` as one step of the full benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reference_tutorial as ref  # noqa: E402

from vae_explorer.trainer.data import load_dataset  # noqa: E402
from vae_explorer.trainer.model.config import TrainConfig  # noqa: E402
from vae_explorer.trainer.training.loop import Trainer  # noqa: E402


def ours_neg_elbo(data, epochs: int, seed: int) -> float:
    """Held-out −ELBO after ``epochs`` epochs of the ``tutorial`` preset."""
    config = TrainConfig(preset="tutorial", epochs=epochs, batch_size=128, seed=seed)
    result = Trainer(config, data).run()
    return float(result.history[-1]["val_neg_elbo"])


def reference_neg_elbo(data, epochs: int, seed: int) -> float:
    """Held-out −ELBO (the tutorial's ``total_loss``, β = 1) after ``epochs`` epochs of ``fit``."""
    history = ref.train_reference(ref.build_reference(seed), data.x_train, epochs, x_test=data.x_test)
    return float(history.history["val_total_loss"][-1])


def parity(data, epochs: int, seeds) -> dict:
    """Per-seed figures of both sides, and the difference of their seed means (ours − reference)."""
    ours = [ours_neg_elbo(data, epochs, s) for s in seeds]
    theirs = [reference_neg_elbo(data, epochs, s) for s in seeds]
    return {
        "epochs": epochs,
        "seeds": list(seeds),
        "ours": ours,
        "reference": theirs,
        "difference": float(np.mean(ours) - np.mean(theirs)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    result = parity(load_dataset(), args.epochs, args.seeds)
    for s, a, b in zip(result["seeds"], result["ours"], result["reference"], strict=True):
        print(f"seed {s}: ours {a:.2f}  reference {b:.2f}  difference {a - b:+.2f} nats")
    print(
        f"mean over seeds: ours {np.mean(result['ours']):.2f}  reference {np.mean(result['reference']):.2f}"
        f"  difference {result['difference']:+.2f} nats (target: within ±1)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
