"""Training on a folder larger than memory: peak RSS and images/s, streamed against in-memory.

    python tests/benchmarks/streaming.py                       # 200,000 64×64 RGB PNGs (~2.4 GB of files)
    python tests/benchmarks/streaming.py --n 2000 --subset 1000 --json s.json    # a smoke run

Makes the folder with ``make_image_folder.py`` (kept between runs), then, each in a fresh child
process so that peak resident memory (VmHWM) is the run's own: one epoch streamed over the whole
folder (``--stream``); one epoch streamed over a ``--subset`` of it (a folder of symlinks); one
epoch in memory over that subset. As float32 in memory the whole folder would be
N×64×64×3×4 bytes (9.8 GB for 200,000); the streamed run must stay under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from benchmarks.make_image_folder import CLASSES, make_folder  # noqa: E402

LIMIT_MB = 1536


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def child(folder: str, stream: bool, preset: str, batch_size: int) -> dict:
    """One epoch on ``folder``, in this process: what the parent reads as one JSON line."""
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.strategies import Scaling, make_trainer

    start = time.perf_counter()
    data = load_dataset(folder, (64, 64), stream=stream)
    loaded = time.perf_counter() - start
    trainer = make_trainer(Scaling("default"), TrainConfig(preset=preset, epochs=1, batch_size=batch_size), data)
    result = trainer.run()
    row = result.history[-1]
    return {
        "stream": stream,
        "n_train": int(data.describe()["n_train"]),
        "load_seconds": loaded,
        "epoch_seconds": row["elapsed"],
        "images_per_second": row["images_per_second"],
        "held_out_in_memory": int(len(data.x_test)),
        "peak_rss_mb": peak_rss_mb(),
        "status": result.status,
    }


def run_child(folder: str, stream: bool, args) -> dict:
    argv = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        folder,
        "--preset",
        args.preset,
        "--batch-size",
        str(args.batch_size),
    ] + (["--stream"] if stream else [])
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def subset_folder(folder: str, n: int) -> str:
    """A folder of symlinks to the first ``n`` images (same classes), for the in-memory run."""
    target = f"{folder.rstrip(os.sep)}-subset-{n}"
    per_class = n // len(CLASSES)
    for c in CLASSES:
        os.makedirs(os.path.join(target, c), exist_ok=True)
        names = sorted(os.listdir(os.path.join(folder, c)))[:per_class]
        for name in names:
            link = os.path.join(target, c, name)
            if not os.path.lexists(link):
                os.symlink(os.path.join(folder, c, name), link)
    return target


def table(rows: list[tuple[str, dict]], n: int) -> str:
    lines = [
        f"Streaming benchmark: {n:,} 64×64 RGB images (float32 in memory: {n * 64 * 64 * 3 * 4 / 1e9:.1f} GB)",
        "",
        "| run | train images | peak RSS (MB) | images/s | epoch (s) | load (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['n_train']:,} | {r['peak_rss_mb']:.0f} | {r['images_per_second']:,.0f} | "
            f"{r['epoch_seconds']:.1f} | {r['load_seconds']:.1f} |"
        )
    return "\n".join(lines)


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="images in the folder (default 200,000)")
    parser.add_argument("--subset", type=int, default=20_000, help="images of the in-memory comparison")
    parser.add_argument("--folder", default=None, help="where the images are (default: /tmp/vae-explorer-shapes-N)")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", default=None, metavar="FILE")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--stream", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.child:
        print(json.dumps(child(args.child, args.stream, args.preset, args.batch_size)))
        return 0
    folder = make_folder(
        args.folder or f"/tmp/vae-explorer-shapes-{args.n}",
        args.n,
        progress=lambda i, n: print(f"writing images: {i:,}/{n:,}", file=sys.stderr),
    )
    subset = subset_folder(folder, min(args.subset, args.n))
    rows = [
        ("streamed, whole folder", run_child(folder, True, args)),
        ("streamed, subset", run_child(subset, True, args)),
        ("in memory, subset", run_child(subset, False, args)),
    ]
    print(table(rows, args.n))
    whole = rows[0][1]
    verdict = "within" if whole["peak_rss_mb"] <= LIMIT_MB else "OVER"
    print(f"\nstreamed peak RSS {whole['peak_rss_mb']:.0f} MB: {verdict} the {LIMIT_MB} MB limit")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n": args.n, "limit_mb": LIMIT_MB, "runs": dict(rows)}, f, indent=2)
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    sys.exit(main())
