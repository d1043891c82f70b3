"""Data-parallel training (``train --strategy``): two replicas in one process (MirroredStrategy
over two logical CPUs) and two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy,
TF_CONFIG, ring all-reduce), each compared with a one-process run of the same global batch and
seed.

Tolerance: 0.5% of the held-out -ELBO. Each step trains on the very global batch a one-process
run would, each image gets the ε one process would draw for it and BatchNorm uses the global
batch's moments, so what differs is floating-point order: gradients summed over replicas, the
BatchNorm moments computed as E[x²]-E[x]² instead of in the fused kernel. Measured here: the
held-out -ELBO agrees to about 2e-5 (relative) after two epochs, the training mean to 1e-3; the
tolerance leaves room for other CPUs' reduction order. It cannot see a wrong loss scale (Adam's
step does not change when every gradient is doubled): one plain-SGD step, compared update for
update, does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from benchmarks.scaling import free_ports

from tests.test_cli import run
from vae_explorer.trainer.files.modelfile import load_model

TOLERANCE = 5e-3
WORKER_TIMEOUT = 90
HERE = os.path.dirname(os.path.abspath(__file__))
CLI = "import sys; from vae_explorer.trainer.cli import main; sys.exit(main(sys.argv[1:]))"


def _env(**extra) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(HERE), env.get("PYTHONPATH")) if p)
    return env


def test_two_replicas_in_one_process_train_as_one_process_does():
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "mirrored_probe.py"), "tutorial"],
        capture_output=True,
        text=True,
        timeout=180,
        env=_env(),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    np.testing.assert_allclose(result["two"], result["one"], rtol=TOLERANCE)
    np.testing.assert_allclose(result["two_train"], result["one_train"], rtol=TOLERANCE)
    assert result["sgd_step_difference"] < 1e-4  # the loss is scaled by each replica's share
    assert result["copies_equal"]  # BatchNorm statistics and the ε seed did not drift apart
    assert result["steps"] == 12  # 300 images in global batches of 50, two epochs
    assert result["stopped"] == ["stopped", 0, 1]  # agreed after the first batch
    assert result["diverged"][0] == "diverged" and "lower learning rate" in result["diverged"][1]
    assert result["codes"] == 100
    (one_epochs, one_elbo, one_steps), (two_epochs, two_elbo, two_steps) = result["resumed"]
    assert one_epochs == two_epochs == [1, 2] and one_steps == two_steps == 12  # optimizer state came along
    assert two_elbo == pytest.approx(one_elbo, rel=TOLERANCE)


def _start_workers(argv, folder) -> list[subprocess.Popen]:
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        log = open(folder / f"worker{index}.log", "w")  # noqa: SIM115 (the worker process writes it until it ends)
        workers.append(
            subprocess.Popen(
                [sys.executable, "-c", CLI, *map(str, argv)],
                cwd=folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_env(TF_CONFIG=tf_config),
            )
        )
        log.close()
    return workers


def test_two_worker_processes_write_one_model_like_one_process(small_npz, tmp_path):
    common = [
        "--data",
        small_npz,
        "--preset",
        "default",
        "--latent-dim",
        "2",
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--seed",
        "5",
    ]
    workers = _start_workers(["train", *common, "--strategy", "multi-worker", "--out", "two.h5"], tmp_path)
    try:
        codes = [w.wait(timeout=WORKER_TIMEOUT) for w in workers]
    finally:
        _kill_the_rest(workers)
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], logs
    assert "saved two.h5" in logs[0] and "saved" not in logs[1]  # the chief alone reports and writes
    assert sorted(os.listdir(tmp_path)) == ["two.h5", "two.h5.run.json", "worker0.log", "worker1.log"]
    code, _, err = run(["train", *common, "--strategy", "default", "--out", tmp_path / "one.h5"])
    assert code == 0, err
    one, two = load_model(tmp_path / "one.h5"), load_model(tmp_path / "two.h5")
    assert [h["epoch"] for h in two.history] == [1, 2]
    np.testing.assert_allclose(
        [h["val_neg_elbo"] for h in two.history], [h["val_neg_elbo"] for h in one.history], rtol=TOLERANCE
    )
    code, out, err = run(["eval", tmp_path / "two.h5"])
    assert code == 0, err
    figures = json.loads(out)
    assert figures["held_out"] == "verified" and np.isfinite(figures["neg_elbo"])
    assert int(two.model.optimizer.iterations.numpy()) == int(one.model.optimizer.iterations.numpy())


def _kill_the_rest(workers) -> None:
    """End any worker still running (a failed test must not leave a cluster behind)."""
    for w in workers:
        if w.poll() is None:
            w.kill()
            w.wait(10)


def _wait_for(path, text: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return True
        time.sleep(0.2)
    return False


def test_ctrl_c_in_one_worker_stops_both_and_the_chief_saves(small_npz, tmp_path):
    argv = [
        "train",
        "--data",
        small_npz,
        "--preset",
        "dense",
        "--latent-dim",
        "2",
        "--epochs",
        "300",
        "--batch-size",
        "32",
        "--strategy",
        "multi-worker",
        "--out",
        "stopped.h5",
    ]
    workers = _start_workers(argv, tmp_path)
    try:
        assert _wait_for(tmp_path / "worker0.log", "epoch 2/300", WORKER_TIMEOUT), (
            tmp_path / "worker0.log"
        ).read_text()[-2000:]
        workers[1].send_signal(signal.SIGINT)  # the non-chief's Ctrl-C travels with the next step
        codes = [w.wait(timeout=WORKER_TIMEOUT) for w in workers]
    finally:
        _kill_the_rest(workers)
    logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    assert codes == [130, 130], logs
    assert "saved stopped.h5" in logs[0] and "the chief saves what was trained" in logs[1]
    assert sorted(os.listdir(tmp_path)) == ["stopped.h5", "stopped.h5.run.json", "worker0.log", "worker1.log"]
    epochs = len(load_model(tmp_path / "stopped.h5").history)
    assert 2 <= epochs < 300


def test_multi_worker_without_a_cluster_is_one_line(small_npz, tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    code, _, err = run(["train", "--data", small_npz, "--strategy", "multi-worker", "--out", tmp_path / "m.h5"])
    assert code == 2 and "TF_CONFIG" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("TF_CONFIG", "{not json")
    code, _, err = run(["train", "--data", small_npz, "--strategy", "multi-worker", "--out", tmp_path / "m.h5"])
    assert code == 2 and "TF_CONFIG" in err and len(err.strip().splitlines()) == 1
