"""Write a folder of synthetic 64×64 RGB PNGs in class subfolders, for the streaming benchmark.

Five classes that a VAE can tell apart and that compress like real pictures rather than like
noise alone: discs, squares, linear gradients, stripes, and smooth noise; each image has random
colours, positions and sizes, and a little pixel noise. Deterministic for a given seed.

    python tests/benchmarks/make_image_folder.py /tmp/shapes --n 200000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from vae_explorer.trainer.files.imagegrid import encode_png  # noqa: E402

SIZE = 64
CLASSES = ("disc", "square", "gradient", "stripes", "blobs")


def _canvas(rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    return yy, xx, rng.uniform(0, 1, 3).astype(np.float32)


def draw(kind: str, rng) -> np.ndarray:
    """One H×W×3 uint8 image of class ``kind``."""
    yy, xx, background = _canvas(rng)
    colour = rng.uniform(0, 1, 3).astype(np.float32)
    cy, cx, r = rng.uniform(0.25, 0.75), rng.uniform(0.25, 0.75), rng.uniform(0.1, 0.3)
    if kind == "disc":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    elif kind == "square":
        mask = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
    elif kind == "gradient":
        angle = rng.uniform(0, 2 * np.pi)
        mask = np.clip((np.cos(angle) * xx + np.sin(angle) * yy + 0.5) / 2, 0, 1)
    elif kind == "stripes":
        mask = np.sin((xx * np.cos(r * 20) + yy * np.sin(r * 20)) * rng.uniform(10, 40)) > 0
    else:
        coarse = rng.uniform(0, 1, (8, 8)).astype(np.float32)
        mask = np.kron(coarse, np.ones((SIZE // 8, SIZE // 8), np.float32))
    mask = mask.astype(np.float32)[..., None]
    image = mask * colour + (1 - mask) * background + rng.normal(0, 0.03, (SIZE, SIZE, 3))
    return np.clip(image * 255, 0, 255).astype(np.uint8)


def make_folder(folder: str, n: int, seed: int = 0, progress=None) -> str:
    """Write ``n`` images (``n`` // 5 per class, the rest in the first classes); skips when the
    folder already holds a complete set (a ``.complete`` marker with ``n``)."""
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker) and Path(marker).read_text().strip() == str(n):
        return folder
    rng = np.random.default_rng(seed)
    for c in CLASSES:
        os.makedirs(os.path.join(folder, c), exist_ok=True)
    for i in range(n):
        kind = CLASSES[i % len(CLASSES)]
        with open(os.path.join(folder, kind, f"{i:07d}.png"), "wb") as f:  # benchmark data: no fsync
            f.write(encode_png(draw(kind, rng)))
        if progress and (i + 1) % 10_000 == 0:
            progress(i + 1, n)
    with open(marker, "w") as f:
        f.write(str(n))
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    make_folder(args.folder, args.n, args.seed, progress=lambda i, n: print(f"{i:,}/{n:,} images", file=sys.stderr))
    print(f"wrote {args.n:,} images to {args.folder} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
