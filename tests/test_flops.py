"""The FLOP counts the benchmark prints, checked against the formulas worked by hand."""

from __future__ import annotations

from benchmarks.flops import flops_per_cycle, forward_flops, training_flops

from vae_explorer.trainer.model.vae import build_vae


def test_tutorial_flops_by_hand():
    encoder = (
        2 * 14 * 14 * 3 * 3 * 1 * 8  # Conv2D 8, stride 2
        + 2 * 7 * 7 * 3 * 3 * 8 * 16  # Conv2D 16, stride 2
        + 2 * 784 * 20
        + 2 * 20 * 2 * 2
    )  # Dense 20, z_mean, z_log_var
    decoder = (
        2 * 2 * 784  # Dense to 7×7×16
        + 2 * 7 * 7 * 3 * 3 * 16 * 16  # Conv2DTranspose 16, stride 2: per input pixel
        + 2 * 14 * 14 * 3 * 3 * 16 * 8  # Conv2DTranspose 8, stride 2
        + 2 * 28 * 28 * 3 * 3 * 8 * 1
    )  # logits
    vae = build_vae("tutorial", None, (28, 28, 1))
    assert forward_flops(vae) == encoder + decoder == 966_048
    assert training_flops(vae) == 3 * 966_048


def test_flops_per_cycle_follow_the_vector_units():
    assert flops_per_cycle({"avx512f", "avx2", "fma"}, "AuthenticAMD") == 32  # Zen 4: 256-bit halves
    assert flops_per_cycle({"avx512f", "avx2", "fma"}, "GenuineIntel") == 64
    assert flops_per_cycle({"avx2", "fma"}, "GenuineIntel") == 32
    assert flops_per_cycle({"sse2"}, "GenuineIntel") == 16
