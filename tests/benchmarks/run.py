"""vae-explorer against the Keras conv-VAE tutorial, measured side by side in one run.

    python tests/benchmarks/run.py                 # the full run (about 11 minutes on 2 cores)
    python tests/benchmarks/run.py --quick         # tiny sizes: a smoke test, figures meaningless
    python tests/benchmarks/run.py --json out.json

Prints a table (ours, reference, ratio, target) and writes JSON. Every comparison runs both
sides in the same process or the same minute, interleaved where it can, and reports the
median and the spread (min–max), because absolute times on shared machines mislead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from vae_explorer.trainer.tf_runtime import import_tensorflow  # noqa: E402

tf = import_tensorflow()

import keras  # noqa: E402
import reference_tutorial as ref  # noqa: E402
from elbo_parity import parity  # noqa: E402

from vae_explorer.trainer.data import load_dataset  # noqa: E402
from vae_explorer.trainer.files import exports  # noqa: E402
from vae_explorer.trainer.maps.projection import Projection  # noqa: E402
from vae_explorer.trainer.model.config import TrainConfig  # noqa: E402
from vae_explorer.trainer.training.loop import Trainer  # noqa: E402
from vae_explorer.trainer.training.reports import TrainingListener  # noqa: E402


def stats(values) -> dict:
    v = np.asarray(values, dtype=float)
    return {
        "median": float(np.median(v)),
        "min": float(v.min()),
        "max": float(v.max()),
        "p99": float(np.percentile(v, 99)),
        "n": int(len(v)),
    }


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


class EpochClock(keras.callbacks.Callback):
    """Per-epoch training time of ``fit`` (validation excluded), for images/s."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self._last - self._t0)


class Rates(TrainingListener):
    def __init__(self):
        self.rates: list[float] = []
        self.curve: list[tuple[float, float]] = []

    def on_epoch(self, r):
        self.rates.append(r.images_per_second)
        self.curve.append((r.elapsed, r.val_neg_elbo))


# 1. training throughput -------------------------------------------------------------------
def bench_throughput(data, rounds: int, epochs: int) -> dict:
    """Interleaved rounds (ours, reference, ours, reference…); each round's ratio of medians,
    so that the spread says how the lead holds from one minute of the machine to the next."""
    ours, theirs, ratios = [], [], []
    for _ in range(rounds):
        rates = Rates()
        Trainer(TrainConfig(preset="tutorial", epochs=epochs + 1, batch_size=128), data, listener=rates).run()
        clock = EpochClock()
        ref.train_reference(ref.build_reference(), data.x_train, epochs + 1, callbacks=[clock])
        round_ours, round_theirs = rates.rates[1:], [len(data.x_train) / s for s in clock.seconds[1:]]
        ours += round_ours  # the first epoch of each warms up the graph
        theirs += round_theirs
        ratios.append(float(np.median(round_ours) / np.median(round_theirs)))
    return {
        "ours": stats(ours),
        "reference": stats(theirs),
        "ratio": float(np.median(ours) / np.median(theirs)),
        "round_ratios": stats(ratios),
    }


# 2–4. decoding and encoding ---------------------------------------------------------------
def bench_latent(data, repeat: int, ref_grid_n: int = 15) -> dict:
    trainer = Trainer(TrainConfig(preset="tutorial", epochs=1), data)
    trainer.run()
    space = trainer.latent  # already traced by the trainer
    z = np.zeros((1, 2), np.float32)
    space.decode(z)
    one = timed(lambda: space.decode(z), repeat * 20)
    reference_model = ref.build_reference()
    reference_model.decoder.predict(z, verbose=0)
    ref_one = timed(lambda: reference_model.decoder.predict(z, verbose=0), repeat * 2)
    projection = Projection(np.zeros((1, 2), np.float32))
    exports.manifold_grid(space, projection, 15)
    grid = timed(lambda: exports.manifold_grid(space, projection, 15), repeat * 2)
    ref_grid = timed(lambda: ref.plot_latent_space_grid(reference_model.decoder, ref_grid_n), 3)
    ref_grid = [t * (15 * 15) / (ref_grid_n * ref_grid_n) for t in ref_grid]  # per 15×15
    x10k = np.concatenate([data.x_train, data.x_test])[:10_000]
    space.encode(x10k[:2000])
    enc2k = timed(lambda: space.encode(x10k[:2000]), repeat)
    enc10k = timed(lambda: space.encode(x10k), repeat)
    ref_enc10k = timed(lambda: reference_model.encoder.predict(x10k, batch_size=128, verbose=0), max(2, repeat // 2))
    ms = lambda v: {k: (x * 1000 if k != "n" else x) for k, x in stats(v).items()}  # noqa: E731
    return {
        "decode_one_ms": ms(one),
        "reference_predict_one_ms": ms(ref_one),
        "grid15_ms": ms(grid),
        "reference_grid15_ms": ms(ref_grid),
        "grid_ratio": float(np.median(ref_grid) / np.median(grid)),
        "encode_2000_s": stats(enc2k),
        "encode_n_s": stats(enc10k),
        "encode_n": int(len(x10k)),
        "reference_encode_n_s": stats(ref_enc10k),
    }


# 5. the GUI while training ----------------------------------------------------------------
def bench_gui(epochs: int, train_images: int) -> dict:
    cmd = [
        sys.executable,
        os.path.join(HERE, "gui_probe.py"),
        "--epochs",
        str(epochs),
        "--train-images",
        str(train_images),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"gui_probe failed: {out.stderr[-2000:]}")
    return json.loads(lines[-1])


# 6. cold start ----------------------------------------------------------------------------
def bench_cold_start(repeat: int) -> dict:
    env = {**os.environ, "VAE_EXPLORER_STARTUP_PROBE": "1", "QT_QPA_PLATFORM": "offscreen"}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vae_explorer.explorer.launcher"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for line in proc.stdout:
            if line.startswith("window shown"):
                times.append(time.perf_counter() - t0)
                break
        proc.wait(timeout=120)
    return stats(times)


# 7. time to quality -----------------------------------------------------------------------
def bench_time_to_quality(data, ref_epochs: int) -> dict:
    t0 = time.perf_counter()
    model = ref.build_reference()
    history = ref.train_reference(model, data.x_train, ref_epochs, x_test=data.x_test)
    ref_seconds = time.perf_counter() - t0
    target = float(history.history["val_total_loss"][-1])

    class UntilTarget(TrainingListener):
        def on_epoch(self, r):
            if r.val_neg_elbo <= target and self.reached is None:
                self.reached = (time.perf_counter() - t1, r.epoch, r.val_neg_elbo)
                trainer.request_stop()

    listener = UntilTarget()
    listener.reached = None
    t1 = time.perf_counter()
    trainer = Trainer(TrainConfig(preset="default", epochs=max(ref_epochs, 5)), data, listener=listener)
    trainer.run()
    seconds, epoch, elbo = listener.reached or (float("nan"), None, None)
    return {
        "reference_epochs": ref_epochs,
        "reference_seconds": ref_seconds,
        "reference_neg_elbo": target,
        "ours_seconds": seconds,
        "ours_epochs": epoch,
        "ours_neg_elbo": elbo,
        "ratio": seconds / ref_seconds,
    }


# 8. peak memory on 60,000 images ----------------------------------------------------------
# VmHWM, not ru_maxrss: on Linux a child's ru_maxrss starts from the peak of the process that
# forked it (the benchmark itself, already large), so both figures came out as the parent's peak.
PEAK_SCRIPT = r"""
import json, sys
import numpy as np
from vae_explorer.trainer.model.config import TrainConfig
from vae_explorer.trainer.data import load_dataset
from vae_explorer.trainer.data.dataset import Dataset
n = int(sys.argv[1]); which = sys.argv[2]
base = load_dataset()
reps = -(-n // len(base.x_train))
x = np.concatenate([base.x_train] * reps)[:n]
rng = np.random.default_rng(0)
x = np.clip(x + rng.normal(0, 0.02, x.shape).astype(np.float32), 0, 1)
if which == "ours":
    from vae_explorer.trainer.training.loop import Trainer
    data = Dataset("synthetic", "synthetic", x, base.x_test, None, base.y_test)
    Trainer(TrainConfig(preset="default", epochs=1), data).run()
else:
    sys.path.insert(0, sys.argv[3])
    import reference_tutorial as ref
    ref.train_reference(ref.build_reference(), x, 1)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_rss_mb": int(hwm.split()[1]) / 1024}))
"""


def bench_peak_memory(n: int) -> dict:
    out = {}
    for which in ("ours", "reference"):
        proc = subprocess.run(
            [sys.executable, "-c", PEAK_SCRIPT, str(n), which, HERE], capture_output=True, text=True, timeout=1800
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        out[which] = json.loads(lines[-1])["peak_rss_mb"] if lines else float("nan")
    out["images"] = n
    return out


def table(r: dict) -> str:
    t, lat, gui, ttq, mem = r["throughput"], r["latent"], r["gui"], r["time_to_quality"], r["peak_memory"]
    par = r["elbo_parity"]
    app_rate = float(np.median(gui["app_images_per_second"][1:] or gui["app_images_per_second"]))
    rows = [
        (
            "training, images/s (tutorial preset)",
            f"{t['ours']['median']:,.0f} ({t['ours']['min']:,.0f}–{t['ours']['max']:,.0f})",
            f"{t['reference']['median']:,.0f} ({t['reference']['min']:,.0f}–{t['reference']['max']:,.0f})",
            f"{t['ratio']:.2f}× (rounds {t['round_ratios']['min']:.2f}–{t['round_ratios']['max']:.2f}×)",
            "≥ 1.5× (worst round ≥ 1.3×)",
        ),
        (
            "training in the app with live plots, images/s",
            f"{app_rate:,.0f}",
            f"{t['reference']['median']:,.0f}",
            f"{app_rate / t['reference']['median']:.2f}×",
            "≥ 1.4×",
        ),
        (
            "decode one point, ms (median / p99)",
            f"{lat['decode_one_ms']['median']:.2f} / {lat['decode_one_ms']['p99']:.2f}",
            f"{lat['reference_predict_one_ms']['median']:.1f} (predict)",
            f"{lat['reference_predict_one_ms']['median'] / lat['decode_one_ms']['median']:.0f}× faster",
            "≤ 2 ms",
        ),
        (
            "15×15 manifold grid, ms",
            f"{lat['grid15_ms']['median']:.1f}",
            f"{lat['reference_grid15_ms']['median']:,.0f}",
            f"{lat['grid_ratio']:.0f}× faster",
            "≤ 15 ms",
        ),
        ("encode 2,000 held-out images, s", f"{lat['encode_2000_s']['median']:.3f}", "", "", ""),
        (
            f"encode {lat['encode_n']:,} images, s",
            f"{lat['encode_n_s']['median']:.3f}",
            f"{lat['reference_encode_n_s']['median']:.3f} (predict)",
            f"{lat['reference_encode_n_s']['median'] / lat['encode_n_s']['median']:.1f}× faster",
            "≤ 0.5 s",
        ),
        (
            "GUI heartbeat while training, ms (p50 / p99 / max)",
            f"{gui['heartbeat_ms']['p50']:.1f} / {gui['heartbeat_ms']['p99']:.1f} / {gui['heartbeat_ms']['max']:.0f}",
            "",
            "",
            "p99 ≤ 30, max ≤ 100",
        ),
        (
            "cold start to window shown, s",
            f"{r['cold_start']['median']:.2f} ({r['cold_start']['min']:.2f}–{r['cold_start']['max']:.2f})",
            "",
            "",
            "≤ 1 s",
        ),
        (
            f"time to the reference's {ttq['reference_epochs']}-epoch held-out −ELBO "
            f"({ttq['reference_neg_elbo']:.1f}), s",
            f"{ttq['ours_seconds']:.1f} ({ttq['ours_epochs']} epoch(s), default preset)",
            f"{ttq['reference_seconds']:.1f}",
            f"{ttq['ratio']:.2f}",
            "≤ 0.33",
        ),
        (
            f"held-out −ELBO after {par['epochs']} epochs, mean of seeds {', '.join(map(str, par['seeds']))}",
            f"{np.mean(par['ours']):.2f}",
            f"{np.mean(par['reference']):.2f}",
            f"{par['difference']:+.2f} nats",
            "within ±1 nat",
        ),
        (
            f"peak RSS training on {mem['images']:,} images, MB",
            f"{mem['ours']:,.0f}",
            f"{mem['reference']:,.0f}",
            f"{mem['ours'] / mem['reference']:.2f}",
            "≤ 1,500 MB",
        ),
    ]
    lines = ["| measure | ours | reference | ratio | target |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args()
    full = load_dataset()
    if args.quick:
        data, rounds, epochs, repeat, ref_epochs, gui_epochs, gui_images, peak_n = (
            full.subset(512, 128),
            1,
            1,
            3,
            1,
            1,
            512,
            2_000,
        )
    else:
        data, rounds, epochs, repeat, ref_epochs, gui_epochs, gui_images, peak_n = (full, 5, 4, 30, 30, 4, 0, 60_000)
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "quick": args.quick,
    }
    steps = [
        ("throughput", lambda: bench_throughput(data, rounds, epochs)),
        ("latent", lambda: bench_latent(data, repeat, 3 if args.quick else 15)),
        ("gui", lambda: bench_gui(gui_epochs, gui_images)),
        ("cold_start", lambda: bench_cold_start(1 if args.quick else 5)),
        ("time_to_quality", lambda: bench_time_to_quality(data, ref_epochs)),
        ("peak_memory", lambda: bench_peak_memory(peak_n)),
        ("elbo_parity", lambda: parity(data, ref_epochs, [0] if args.quick else [0, 1, 2])),
    ]
    for name, fn in steps:
        t0 = time.perf_counter()
        results[name] = fn()
        print(f"[{name}: {time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)
    results["peak_rss_this_process_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
