"""The benchmark script must not rot: run it at tiny sizes and check what it reports."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_quick_run(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| training, images/s (tutorial preset) |" in proc.stdout
    r = json.loads(out.read_text())
    check_plausible(r)


def within(value, low, high) -> bool:
    return low <= value <= high


def check_plausible(r: dict) -> None:
    """Figures a 2-core CPU can produce, each from its own measurement (not just > 0)."""
    t, lat, gui = r["throughput"], r["latent"], r["gui"]
    assert within(t["ours"]["median"], 200, 200_000) and within(t["reference"]["median"], 200, 200_000)
    assert t["ratio"] == t["ours"]["median"] / t["reference"]["median"]
    assert t["ours"]["min"] <= t["ours"]["median"] <= t["ours"]["max"]
    assert t["round_ratios"]["min"] <= t["round_ratios"]["median"] <= t["round_ratios"]["max"]
    assert within(lat["decode_one_ms"]["median"], 0.05, 100)
    assert lat["reference_predict_one_ms"]["median"] > lat["decode_one_ms"]["median"]  # predict pays a setup
    assert within(lat["grid15_ms"]["median"], 0.5, 5_000) and lat["grid_ratio"] > 1
    assert within(lat["encode_2000_s"]["median"], 1e-4, 10)
    hb = gui["heartbeat_ms"]
    assert hb["n"] >= 10 and within(hb["p50"], 9, 200) and hb["p50"] <= hb["p99"] <= hb["max"]  # a 10 ms timer
    assert all(within(rate, 20, 200_000) for rate in gui["app_images_per_second"])
    assert within(r["cold_start"]["median"], 0.1, 30)
    ttq = r["time_to_quality"]
    assert within(ttq["reference_neg_elbo"], 50, 800) and within(ttq["ours_neg_elbo"], 50, 800)  # nats/image
    assert within(ttq["ratio"], 0.01, 100)
    mem = r["peak_memory"]
    assert within(mem["ours"], 150, 8_000) and within(mem["reference"], 150, 8_000)
    assert mem["ours"] != mem["reference"]  # two processes: equal figures meant both read the parent's peak
    par = r["elbo_parity"]
    assert par["seeds"] == [0] and all(within(v, 50, 800) for v in par["ours"] + par["reference"])
    assert par["difference"] == par["ours"][0] - par["reference"][0]


def test_profile_step_reads_the_trace(tmp_path):
    """The profiler script parses TensorFlow's own trace: the convolutions of the step show up
    with their layer names, and the shares it prints are of a positive total."""
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "benchmarks" / "profile_step.py"),
            "--steps",
            "3",
            "--batch-size",
            "32",
            "--top",
            "40",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ms per step (wall)" in proc.stdout
    assert "dec_convT_1" in proc.stdout and "enc_conv_1" in proc.stdout
    assert "Conv2DBackpropFilter" in proc.stdout
