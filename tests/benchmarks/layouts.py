"""Which neighbour-preserving layout the map uses, by measurement: openTSNE against umap-learn.

    python tests/benchmarks/layouts.py [--repeats 3] [--json FILE]

For the model the app trains by default (the `default` preset, 15 epochs on the embedded
MNIST, seed 0), on its 2,000 held-out codes and on all 10,000 embedded images' codes: legibility (5-NN
label accuracy in the plane), seconds per layout (median and min–max of the repeats), the first
call in a fresh process (import + any JIT compile), and the installed size of each library with
what it pulls in. Then, for the chosen layout (openTSNE): the drift of points between two
consecutive epochs with and without the warm start, the inverse map's fidelity, and the time of
one hover decode including the inverse. umap-learn is measured only when installed
(`pip install umap-learn`); it is not a dependency.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

FIRST_CALL = """
import time, numpy as np
t = time.perf_counter()
{imports}
x = np.random.default_rng(0).normal(size=(2000, 16))
{fit}
print(time.perf_counter() - t)
"""
LIBRARIES = {
    "opentsne": (
        "import openTSNE",
        "openTSNE.TSNE(perplexity=15, n_jobs=2, negative_gradient_method='bh').fit(x)",
        ("openTSNE", "scipy", "sklearn"),
    ),
    "umap": (
        "import umap",
        "umap.UMAP(n_jobs=2).fit(x)",
        ("umap", "pynndescent", "numba", "llvmlite", "scipy", "sklearn"),
    ),
}


class EpochCodes:
    """A training listener that keeps the held-out means of every epoch."""

    def __init__(self):
        self.means: list[np.ndarray] = []

    def on_batch(self, report) -> None:
        pass

    def on_epoch(self, report) -> None:
        self.means.append(np.asarray(report.latent_means, np.float64))


def train_default():
    """The app's default training; returns the dataset, its LatentSpace and the codes per epoch."""
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.loop import Trainer

    data, epochs = load_dataset(), EpochCodes()
    trainer = Trainer(TrainConfig(preset="default", seed=0), data, listener=epochs, encode_each_epoch=True)
    result = trainer.run()
    print(f"trained: held-out -ELBO {result.history[-1]['val_neg_elbo']:.2f}", flush=True)
    return data, trainer.latent, epochs.means


def fit_seconds(name: str, codes: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    if name == "opentsne":
        from vae_explorer.trainer.maps.tsne import TSNELayout

        plane = TSNELayout(codes, seed=seed, n_jobs=2).plane
    else:
        import umap

        plane = umap.UMAP(n_jobs=2, random_state=None).fit_transform(codes)
    return plane, time.perf_counter() - start


def installed_mb(modules) -> float:
    """Size on disk of the modules' folders (shared ones counted for each library)."""
    import importlib.util

    total = 0
    for module in modules:
        spec = importlib.util.find_spec(module)
        folder = os.path.dirname(spec.origin)
        total += sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
    return total / 1e6


def first_call(name: str) -> float:
    imports, fit, _ = LIBRARIES[name]
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL.format(imports=imports, fit=fit)], capture_output=True, text=True, timeout=600
    )
    return float(out.stdout.strip().splitlines()[-1])


def summary(values) -> dict:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def compare_libraries(sets: dict, repeats: int) -> dict:
    from vae_explorer.trainer.maps.legibility import knn_accuracy

    report = {}
    for name in LIBRARIES:
        try:
            __import__(LIBRARIES[name][2][0])
        except ImportError:
            print(f"{name}: not installed, skipped", flush=True)
            continue
        entry = {"first_call_s": round(first_call(name), 2), "install_mb": round(installed_mb(LIBRARIES[name][2]), 1)}
        for label, (codes, labels) in sets.items():
            runs = [fit_seconds(name, codes, seed) for seed in range(repeats)]
            entry[label] = {
                "seconds": summary([s for _, s in runs]),
                "legibility": summary([knn_accuracy(p, labels) for p, _ in runs]),
            }
        report[name] = entry
        print(name, json.dumps(entry), flush=True)
    return report


def warm_start_drift(per_epoch: list[np.ndarray]) -> dict:
    """Median displacement between consecutive epochs' layouts, as a fraction of the extent."""
    from vae_explorer.trainer.maps.tsne import TSNELayout, median_drift

    warm_drift, cold_drift = [], []
    previous = TSNELayout(per_epoch[0], seed=0, n_jobs=2)
    for means in per_epoch[1:]:
        warm = TSNELayout(means, previous=previous, seed=0, n_jobs=2)
        cold = TSNELayout(means, seed=0, n_jobs=2)
        warm_drift.append(median_drift(previous.plane, warm.plane))
        cold_drift.append(median_drift(previous.plane, cold.plane))
        previous = warm
    return {"warm": summary(warm_drift), "cold": summary(cold_drift)}


def hover_cost(space, layout, n: int = 500) -> dict:
    """One hover: inverse map + decode of one point, in ms (median and p99)."""
    rng = np.random.default_rng(0)
    lo, hi = layout.plane.min(axis=0), layout.plane.max(axis=0)
    times = []
    for p in rng.uniform(lo, hi, size=(n, 2)):
        start = time.perf_counter()
        space.decode(layout.from_plane(p[None, :]))
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(float(np.median(times)), 3), "p99_ms": round(float(np.percentile(times, 99)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    from vae_explorer.trainer.maps.inverse_map import fidelity
    from vae_explorer.trainer.maps.legibility import knn_accuracy
    from vae_explorer.trainer.maps.tsne import TSNELayout

    data, space, per_epoch = train_default()
    everything = np.concatenate([data.x_train, data.x_test])
    sets = {
        "n2000": (per_epoch[-1], data.y_test),
        "n10000": (space.encode(everything)[0].astype(np.float64), np.concatenate([data.y_train, data.y_test])),
    }
    report = {
        "latent_knn_2000": knn_accuracy(per_epoch[-1], data.y_test),
        "libraries": compare_libraries(sets, args.repeats),
    }
    layout = TSNELayout(per_epoch[-1], seed=0, n_jobs=2)
    report["fidelity"] = fidelity(space.decode, layout.inverse)
    report["hover"] = hover_cost(space, layout)
    report["drift"] = warm_start_drift(per_epoch)
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
