"""Write a 70,000-image MNIST-like .npz (60,000 train / 10,000 held out) for the map benchmarks.

The machines have no network but the package registries, so the full MNIST cannot be fetched.
This grows the embedded 10,000 real images (8,000 train / 2,000 held out) seven- and five-fold
with the small distortions a handwriting varies by: each copy is the original rotated by up to
±12°, scaled by 0.9–1.1, sheared by up to ±0.15 and shifted by up to ±2 px (one affine map,
bilinear), keeping its label. Train copies come from train images only and held-out copies from
held-out images only, so no held-out digit leaks into training. Seeded: the same file every time.

    python tests/benchmarks/make_big_mnist.py --out big.npz [--train 60000] [--test 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))


def distorted(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random small affine distortion of a 28×28 uint8 image about its centre."""
    angle = np.deg2rad(rng.uniform(-12, 12))
    scale, shear = rng.uniform(0.9, 1.1), rng.uniform(-0.15, 0.15)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotate @ np.array([[1.0, shear], [0.0, 1.0]]) / scale
    centre = (np.array(image.shape) - 1) / 2
    offset = centre - matrix @ centre + rng.uniform(-2, 2, size=2)
    out = ndimage.affine_transform(image.astype(np.float32), matrix, offset=offset, order=1, mode="constant")
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def grown(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The originals first, then distorted copies of randomly chosen ones up to ``n`` images."""
    extra = rng.integers(0, len(x), size=max(0, n - len(x)))
    copies = np.stack([distorted(x[i], rng) for i in extra]) if len(extra) else x[:0]
    return np.concatenate([x, copies])[:n], np.concatenate([y, y[extra]])[:n]


def make(out: str, n_train: int = 60_000, n_test: int = 10_000, seed: int = 0) -> str:
    from vae_explorer.trainer.data import load_dataset

    data = load_dataset()
    to_uint8 = lambda x: np.round(x[..., 0] * 255).astype(np.uint8)  # noqa: E731
    rng = np.random.default_rng(seed)
    x_train, y_train = grown(to_uint8(data.x_train), data.y_train, n_train, rng)
    x_test, y_test = grown(to_uint8(data.x_test), data.y_test, n_test, rng)
    np.savez(out, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--train", type=int, default=60_000)
    parser.add_argument("--test", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    make(args.out, args.train, args.test, args.seed)
    print(f"wrote {args.out} ({args.train:,} + {args.test:,} images) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
