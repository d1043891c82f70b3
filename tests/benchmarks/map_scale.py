"""The whole dataset on the map: layout candidates side by side on 10k / 60k / 70k codes, then the
app itself training on 70,000 images while its map shows all of them.

    python tests/benchmarks/map_scale.py                          # makes the data, trains, measures
    python tests/benchmarks/map_scale.py --data big.npz --model m.h5 --repeats 3 --json out.json
    python tests/benchmarks/map_scale.py --quick                  # tiny sizes: a smoke test

Without ``--data`` it writes a 70,000-image MNIST-like set (``make_big_mnist.py``: the embedded
digits distorted); without ``--model`` it trains the `default` preset on it for 3 epochs with the
CLI (whose images/s is the reference for the app's). Each candidate runs in a fresh process with
one thread (the app's layout never takes more than one core while a training runs) and reports
seconds (first layout, and a warm update from it to the codes moved as by one more epoch),
legibility (5-NN label accuracy in the plane), neighbours kept (the label-free figure: the share
of each code's 10 nearest latent neighbours among its 10 nearest in the plane) and the child's
peak RSS (and how much of it the layout added). Candidates:

- ``before``: the schedule the app used until this round (openTSNE's Annoy with 50 trees, FFT
  at 1 grid interval per unit, 250 early-exaggeration + 500 plain iterations; warm: 250).
- ``now``: ``trainer.maps.tsne`` (Annoy with 20 trees, 2–3 grid intervals per unit, 250 + 250;
  warm: 25 iterations reusing the neighbour lists).
- ``sample+place``: ``now`` on a 10,000-code stratified sample, every other code placed by the
  inverse-map blend of its latent neighbours among the sample (no warm figure of its own).
- ``sampled``: the app's first layout beside a training (``tsne.sampled_plane``: ``now`` on a
  5,000-code random sample, every other code at the median place of its 3 nearest sampled codes);
  its warm update searches the lists (5 Annoy trees). The training's end then lays the map out
  in full: ``now``'s first layout.

Then ``gui_probe.py`` trains in the real window with ``--points all`` and prints the app's
images/s while the map updates, the heartbeat while panning every point with thumbnails, and the
hover, click and lasso latencies; the ratio to the CLI's images/s is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = 10_000
MOVE = 0.05  # a warm update's codes: each moved by 5% of the codes' spread, as by one more epoch


def main() -> None:
    args = parse_args()
    folder = tempfile.mkdtemp(prefix="map-scale-")
    data = args.data or make_data(folder, args.quick)
    model = args.model
    cli_rate = cli_rate_of(model) if model else None
    if model is None:
        model, cli_rate = train_cli(folder, data, args.epochs)
    means, labels = encode(model, data, folder)
    results = {"candidates": measure_candidates(means, labels, args), "cli_images_per_second": cli_rate}
    if not args.no_app:
        results["app"] = app_probe(data, args)
        app_rates = results["app"].get("app_images_per_second", [])[1:]
        if cli_rate and app_rates:
            results["app_over_cli"] = float(np.median(app_rates)) / cli_rate
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="an .npz dataset (default: a generated 70,000-image one)")
    ap.add_argument("--model", default=None, help="a model trained on it (default: train `default` 3 epochs)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--sizes", default="10000,60000,70000")
    ap.add_argument("--candidates", default="before,now,sample+place,sampled")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-app", action="store_true", help="skip the in-app training and GUI probe")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the script, figures meaningless")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.epochs, args.repeats = "1500,6000", 1, 1
    return args


def make_data(folder: str, quick: bool) -> str:
    sys.path.insert(0, HERE)
    from make_big_mnist import make

    n_train, n_test = (5_000, 1_000) if quick else (60_000, 10_000)
    return make(os.path.join(folder, "big.npz"), n_train, n_test)


def train_cli(folder: str, data: str, epochs: int) -> tuple[str, float]:
    """Train with the CLI; its images/s (the median over epochs after the first) is the reference."""
    model = os.path.join(folder, "m.h5")
    cmd = [
        sys.executable,
        "-m",
        "vae_explorer.explorer.launcher",
        "train",
        "--data",
        data,
        "--preset",
        "default",
        "--epochs",
        str(epochs),
    ]
    subprocess.run([*cmd, "--batch-size", "128", "--out", model], check=True, stdout=subprocess.DEVNULL)
    return model, cli_rate_of(model)


def cli_rate_of(model: str) -> float | None:
    """The images/s of the CLI run that wrote ``model`` (its run record), median over the epochs
    after the first; None without a record."""
    if not os.path.exists(model + ".run.json"):
        return None
    with open(model + ".run.json") as f:
        history = json.load(f)["history"]
    rates = [row["images_per_second"] for row in history if row.get("images_per_second")]
    return float(np.median(rates[1:] or rates)) if rates else None


def encode(model: str, data: str, folder: str) -> tuple[np.ndarray, np.ndarray]:
    """The means of every image (held-out first, then training, as the map orders them)."""
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.files.modelfile import load_model

    dataset, vae = load_dataset(data), load_model(model).model
    parts = [vae.encoder.predict(x, batch_size=1024, verbose=0)[0] for x in (dataset.x_test, dataset.x_train)]
    return np.concatenate(parts).astype(np.float32), np.concatenate([dataset.y_test, dataset.y_train])


def measure_candidates(means: np.ndarray, labels: np.ndarray, args) -> list[dict]:
    from vae_explorer.trainer.maps.figures import latent_neighbours
    from vae_explorer.trainer.maps.legibility import knn_accuracy

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows_of = stratified(labels, min(size, len(means)))
        codes, names = means[rows_of], labels[rows_of]
        t0 = time.perf_counter()
        lists = latent_neighbours(codes, workers=2)
        latent = {"latent_knn": float(knn_accuracy(codes, names, workers=2)), "neighbours_s": time.perf_counter() - t0}
        for name in args.candidates.split(","):
            runs = [run_child(name, codes, names, lists) for _ in range(args.repeats)]
            rows.append({"size": len(codes), "candidate": name, **latent, **summarise(runs)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def stratified(labels: np.ndarray, n: int) -> np.ndarray:
    from vae_explorer.trainer.maps.points import stratified_sample

    return np.arange(len(labels)) if n >= len(labels) else np.sort(stratified_sample(labels, n, 0))


def run_child(name: str, codes: np.ndarray, labels: np.ndarray, lists: np.ndarray) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(candidate, (name, codes, labels, lists))


def candidate(name: str, codes: np.ndarray, labels: np.ndarray, lists: np.ndarray) -> dict:
    """One layout in this (fresh, one-thread) process: seconds, quality, warm update, peak RSS."""
    import openTSNE  # noqa: F401  (imported before the baseline: the layout's own memory is what counts)

    from vae_explorer.trainer.maps.legibility import legibility, neighbour_recall
    from vae_explorer.trainer.maps.tsne import tsne_plane  # noqa: F401

    baseline = peak_rss_mb()
    rng = np.random.default_rng(1)
    moved = codes + MOVE * codes.std(axis=0) * rng.normal(size=codes.shape).astype(np.float32)
    t0 = time.perf_counter()
    plane, state = FIRST[name](codes)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = WARM[name](moved, plane, state) if name in WARM else None
    warm_s = time.perf_counter() - t0 if warm is not None else None
    return {
        "first_s": first,
        "warm_s": warm_s,
        "legibility": float(legibility(plane, labels)),
        "recall": float(neighbour_recall(plane, lists)),
        "warm_legibility": None if warm is None else float(legibility(warm, labels)),
        "peak_rss_mb": peak_rss_mb(),
        "layout_mb": peak_rss_mb() - baseline,
    }


def peak_rss_mb() -> float:
    """This process's own peak RSS: ``VmHWM``. (``ru_maxrss`` of a spawned child starts at its
    parent's peak: Linux keeps the forked copy's high-water mark across the exec.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def first_now(codes):
    from vae_explorer.trainer.maps.tsne import tsne_plane

    result = tsne_plane(codes.astype(np.float64), None, seed=0, n_jobs=1)
    return result.plane, result.neighbours


def warm_now(codes, plane, lists):
    from vae_explorer.trainer.maps.tsne import tsne_plane

    return tsne_plane(codes.astype(np.float64), plane, seed=0, n_jobs=1, neighbours=lists).plane


def first_before(codes):
    return before_schedule(codes, None), None


def warm_before(codes, plane, _):
    return before_schedule(codes, plane)


def before_schedule(codes: np.ndarray, start: np.ndarray | None) -> np.ndarray:
    """The app's t-SNE until this round: openTSNE's Annoy (50 trees), FFT at 1 interval per unit."""
    from openTSNE import TSNEEmbedding, affinity, initialization, nearest_neighbors

    x = codes.astype(np.float64)
    small = len(x) < 5000
    index_type = nearest_neighbors.Sklearn if small else nearest_neighbors.Annoy
    index = index_type(x, 45, n_jobs=1, random_state=0)
    p = affinity.PerplexityBasedNN(perplexity=15, knn_index=index, n_jobs=1)
    phases = [(250, 12.0, 0.5), (500, 1.0, 0.8)] if start is None else [(250, 1.0, 0.8)]
    start = initialization.pca(x, random_state=0) if start is None else start
    method = "bh" if small else "fft"
    embedding = TSNEEmbedding(start, p, random_state=0, n_jobs=1, negative_gradient_method=method)
    for iterations, exaggeration, momentum in phases:
        rate = max(len(x) / exaggeration, 200.0)
        embedding.optimize(iterations, inplace=True, exaggeration=exaggeration, momentum=momentum, learning_rate=rate)
    return np.asarray(embedding)


def first_sample_place(codes):
    """``now`` on a stratified sample, the rest placed by the blend of their sampled neighbours."""
    from vae_explorer.trainer.maps.inverse_map import InverseMap

    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(len(codes), size=min(SAMPLE, len(codes)), replace=False))
    plane_of_sample, _ = first_now(codes[sample])
    plane = InverseMap(codes[sample].astype(np.float64), plane_of_sample)(codes.astype(np.float64))
    plane[sample] = plane_of_sample
    return plane, None


def first_sampled(codes):
    from vae_explorer.trainer.maps.tsne import sampled_plane

    return sampled_plane(codes.astype(np.float64), seed=0, n_jobs=1).plane, None


FIRST = {"now": first_now, "before": first_before, "sample+place": first_sample_place, "sampled": first_sampled}
WARM = {"now": warm_now, "before": warm_before, "sampled": warm_now}


def summarise(runs: list[dict]) -> dict:
    """Median and min–max of each figure over the repeats."""
    out: dict = {"repeats": len(runs)}
    for key in runs[0]:
        values = [r[key] for r in runs if r[key] is not None]
        if values:
            out[key] = float(np.median(values))
            out[key + "_range"] = [float(min(values)), float(max(values))]
    return out


def app_probe(data: str, args) -> dict:
    """The real window trains on ``data`` with every image on the map, then pans and points."""
    epochs = "1" if args.quick else str(args.epochs)
    cmd = [sys.executable, os.path.join(HERE, "gui_probe.py"), "--data", data, "--points", "all"]
    cmd += ["--preset", "default", "--epochs", epochs, "--pan", "10", "--pointer", "100"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def print_table(results: dict) -> None:
    print(f"\n{'size':>7} {'candidate':<13} {'first s':>16} {'warm s':>14} {'legible':>8} {'latent':>7} "
          f"{'kept':>6} {'RSS MB':>7} {'+MB':>5}")  # fmt: skip
    for r in results["candidates"]:
        first = f"{r['first_s']:.1f} ({r['first_s_range'][0]:.1f}–{r['first_s_range'][1]:.1f})"
        warm = f"{r['warm_s']:.1f} ({r['warm_s_range'][0]:.1f}–{r['warm_s_range'][1]:.1f})" if "warm_s" in r else "-"
        quality = f"{r['legibility']:>8.4f} {r['latent_knn']:>7.4f} {r['recall']:>6.3f}"
        print(f"{r['size']:>7} {r['candidate']:<13} {first:>16} {warm:>14} {quality} "
              f"{r['peak_rss_mb']:>7.0f} {r['layout_mb']:>5.0f}")  # fmt: skip
        if r.get("warm_legibility") is not None:
            print(f"{'':>7} after the warm update: legibility {r['warm_legibility']:.4f}")
    app = results.get("app")
    if app:
        print(f"\napp images/s while the map shows every image: {app.get('app_images_per_second')}")
        print(f"CLI images/s on the same data: {results['cli_images_per_second']}; "
              f"ratio (median after epoch 1): {results.get('app_over_cli')}")  # fmt: skip
        for key in ("heartbeat_ms", "pan_heartbeat_ms", "hover_ms", "click_ms", "lasso_ms"):
            print(f"{key}: {app.get(key)}")
        print(f"lasso selected {app.get('lasso_selected')} of {app.get('pointer_points')} points")


if __name__ == "__main__":
    main()
