"""The benchmark script must not rot: run it at tiny sizes and check what it reports."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_quick_run(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| training, images/s (tutorial preset) |" in proc.stdout
    r = json.loads(out.read_text())
    assert r["throughput"]["ours"]["median"] > 0 and r["throughput"]["reference"]["median"] > 0
    assert 0 < r["latent"]["decode_one_ms"]["median"] < 1000
    assert r["gui"]["heartbeat_ms"]["n"] > 0 and r["gui"]["app_images_per_second"]
    assert r["cold_start"]["median"] > 0
    assert r["time_to_quality"]["reference_neg_elbo"] > 0
    assert r["peak_memory"]["ours"] > 0 and r["peak_memory"]["reference"] > 0
