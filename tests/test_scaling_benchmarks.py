"""The scaling benchmarks must not rot: the streaming one at a tiny size (the two-worker mechanics
of ``benchmarks/scaling.py`` are those of tests/test_distributed.py)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_streaming_benchmark_tiny_run(tmp_path):
    out = tmp_path / "s.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "benchmarks" / "streaming.py"),
            "--n",
            "60",
            "--subset",
            "30",
            "--folder",
            str(tmp_path / "shapes"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| streamed, whole folder | 48 |" in proc.stdout and "within the 1536 MB limit" in proc.stdout
    runs = json.loads(out.read_text())["runs"]
    assert runs["in memory, subset"]["stream"] is False and runs["streamed, subset"]["n_train"] == 24
    assert all(r["status"] == "finished" and r["peak_rss_mb"] > 0 and r["images_per_second"] > 0 for r in runs.values())
    assert len(list((tmp_path / "shapes").glob("*/*.png"))) == 60
