"""Where the time goes: FLOPs per training image of each preset, achieved GFLOP/s, and the peak.

    python tests/benchmarks/flops.py               # every preset: FLOPs, a short timing, GFLOP/s, % of peak
    python tests/benchmarks/flops.py --no-timing   # the counts and the peak only

FLOPs are counted from the layers (multiply and add = 2): Conv2D 2·Hout·Wout·kh·kw·Cin·Cout,
Conv2DTranspose 2·Hin·Win·kh·kw·Cin·Cout (each input pixel scatters a k×k patch), Dense
2·in·out. BatchNorm, activations, sampling and the loss are element-wise, bound by memory
rather than arithmetic, and left out (for `tutorial` about 13,000 elements per image, some
10 % more FLOPs; for `dcgan` well under 1 %). A training step costs about 3× the forward pass (the backward pass
computes a gradient for the inputs and one for the weights, each as costly as the forward),
for the encoder and the decoder alike.

The peak is cores × FP32 FLOPs per cycle × clock. FLOPs per cycle per core: 2 FMA units × lanes
× 2; lanes are 16 for AVX-512 on Intel (512-bit units), 8 on AMD Zen 4 (AVX-512 runs on 256-bit
units) and for AVX2, 4 otherwise. The clock is /proc/cpuinfo's "cpu MHz" (a VM reports the
nominal clock; boost is unknown, so the fraction is an upper estimate of the share reached).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def layer_flops(layer) -> int:
    """Forward FLOPs per image of one layer (0 for element-wise and shape-only layers)."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        _, h, w, c_out = layer.output.shape
        kh, kw = layer.kernel_size
        return 2 * h * w * kh * kw * layer.input.shape[-1] * c_out
    if kind == "Conv2DTranspose":
        _, h, w, c_in = layer.input.shape
        kh, kw = layer.kernel_size
        return 2 * h * w * kh * kw * c_in * layer.filters
    if kind == "Dense":
        return 2 * layer.input.shape[-1] * layer.units
    return 0


def forward_flops(vae) -> int:
    """Encoder and decoder, one image."""
    return sum(layer_flops(layer) for part in (vae.encoder, vae.decoder) for layer in part.layers)


def training_flops(vae) -> int:
    return 3 * forward_flops(vae)


def flops_per_cycle(flags: set[str], vendor: str) -> int:
    if "avx512f" in flags:
        lanes = 8 if vendor == "AuthenticAMD" else 16
    elif "avx2" in flags and "fma" in flags:
        lanes = 8
    else:
        lanes = 4
    return 2 * lanes * 2


def peak_gflops() -> dict:
    """The machine's FP32 peak and how it was derived (Linux: /proc/cpuinfo)."""
    info = Path("/proc/cpuinfo").read_text()
    field = lambda name: next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith(name))  # noqa: E731
    flags, vendor, mhz = set(field("flags").split()), field("vendor_id"), float(field("cpu MHz"))
    cores = os.cpu_count() or 1
    per_cycle = flops_per_cycle(flags, vendor)
    return {
        "cores": cores,
        "flops_per_cycle": per_cycle,
        "ghz": mhz / 1000,
        "gflops": cores * per_cycle * mhz / 1000,
        "bf16": "avx512_bf16" in flags,
        "vendor": vendor,
    }


def images_per_second(preset: str, data, batches: int, repeat: int) -> list[float]:
    """Training steps of ``preset`` at its batch size, compiled, after a warm-up step."""
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.loop import Trainer

    config = TrainConfig(preset=preset, epochs=1)
    trainer = Trainer(config, data)
    step, x = trainer.compiled.train_step, tf_constant(data.x_train)
    index = tf_constant(np.arange(config.batch_size, dtype=np.int32) % len(data.x_train))
    step(x, index)
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(batches):
            loss = step(x, index)[0]
        float(loss)
        rates.append(batches * config.batch_size / (time.perf_counter() - t0))
    return rates


def tf_constant(value):
    import tensorflow as tf

    return tf.constant(value)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--presets", default="tutorial,default,dense,dcgan")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.model.vae import build_vae

    peak = peak_gflops()
    print(
        f"peak: {peak['cores']} cores × {peak['flops_per_cycle']} FP32 FLOP/cycle × {peak['ghz']:.2f} GHz "
        f"= {peak['gflops']:.0f} GFLOP/s ({peak['vendor']}; AVX-512 BF16: {peak['bf16']})"
    )
    data = load_dataset()
    print("| preset | MFLOP per training image | images/s median (min–max) | GFLOP/s | share of peak |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for preset in args.presets.split(","):
        flops = training_flops(build_vae(preset, None, data.image_shape))
        if args.no_timing:
            print(f"| {preset} | {flops / 1e6:,.2f} | | | |")
            continue
        rates = images_per_second(preset, data, 2 if preset == "dcgan" else 20, args.repeat)
        achieved = flops * float(np.median(rates)) / 1e9
        print(
            f"| {preset} | {flops / 1e6:,.2f} | {np.median(rates):,.0f} ({min(rates):,.0f}–{max(rates):,.0f}) | "
            f"{achieved:.1f} | {achieved / peak['gflops']:.1%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
