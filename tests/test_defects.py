"""The ten defects a review reproduced (issue 20), each as the user met it: a command run on a bad
input must end in exit 2 with one line naming the file, never a traceback, a hang or lost data."""

from __future__ import annotations

import json
import os
import stat
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from tests.test_cli import run
from vae_explorer.trainer.errors import UserError


def one_line_naming(err: str, path) -> None:
    lines = [line for line in err.strip().splitlines() if line.startswith("vae-explorer: error:")]
    assert len(lines) == 1 and str(path) in lines[0], err
    assert "Traceback" not in err, err


def zeroed_copy(source, target) -> Path:
    """A copy whose second half is zeros: what a copy or download still in progress looks like."""
    data = bytearray(Path(source).read_bytes())
    data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)
    Path(target).write_bytes(bytes(data))
    return Path(target)


@pytest.mark.parametrize("command", [["info"], ["eval"], ["encode", "x.png"], ["export", "--what", "grid"]])
def test_1_a_model_file_with_a_zeroed_tail_is_one_line_and_exit_2(trained_file, tmp_path, command):
    bad = zeroed_copy(trained_file[0], tmp_path / "zeroed.h5")
    args = [command[0], bad, *command[1:]] + (["--out", tmp_path / "g.png"] if command[0] == "export" else [])
    code, _, err = run(args)
    assert code == 2
    one_line_naming(err, bad)


def test_2_damaged_run_records_are_skipped_and_the_others_listed(tmp_path, small_npz):
    assert run(["train", "--data", small_npz, "--preset", "dense", "--epochs", 1, "--out", tmp_path / "m.h5"])[0] == 0
    record = json.loads(Path(f"{tmp_path / 'm.h5'}.run.json").read_text())
    damaged = {"l.run.json": {**record, "likelihood": [5]}, "w.run.json": {**record, "wall_time": float("inf")}}
    for name, value in damaged.items():
        (tmp_path / name).write_text(json.dumps(value))
    (tmp_path / "n.run.json").write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = run(["runs", tmp_path])
    assert code == 0 and "m.h5" in out and "Traceback" not in err
    warnings = sorted(line for line in err.splitlines() if line.endswith("(skipped)"))
    assert [os.path.basename(w.split(": ")[2]) for w in warnings] == ["l.run.json", "n.run.json", "w.run.json"]
    assert "malformed 'likelihood'" in err and "malformed 'wall_time'" in err and "nested too deeply" in err


@pytest.mark.parametrize(
    "config, words",
    [
        ({"cluster": {"worker": "localhost:23456"}, "task": {"type": "worker", "index": 0}}, "must be a list"),
        ({"cluster": {"worker": ["localhost"]}, "task": {"type": "worker", "index": 0}}, 'is not "host:port"'),
        ({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}, "is not in the cluster"),
        ({"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}, "not for this strategy"),
        ("[", "is not JSON"),
    ],
)
def test_3_a_malformed_tf_config_is_one_line_before_tensorflow_starts(monkeypatch, config, words):
    from vae_explorer.trainer.training.strategies import cluster_from_env

    monkeypatch.setenv("TF_CONFIG", config if isinstance(config, str) else json.dumps(config))
    with pytest.raises(UserError, match="TF_CONFIG") as error:
        cluster_from_env()
    assert words in str(error.value) and "\n" not in str(error.value)


def test_3_a_chief_only_cluster_is_accepted_as_tensorflow_accepts_it(monkeypatch):
    from vae_explorer.trainer.training.strategies import cluster_from_env, is_chief

    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["localhost:2222"]}, "task": {"type": "chief"}}))
    assert is_chief(cluster_from_env())


def test_4_the_bound_s_memory_does_not_grow_with_k(trained_file, mnist_small):
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.latent.likelihood import ImportanceWeighted

    iw = ImportanceWeighted(load_model(trained_file[0]).model)
    iw.samples_per_call = 256
    x = mnist_small.x_test[:16]
    iw.log_px(x, 512)  # traced and warm
    tracemalloc.start()
    bound = iw.log_px(x, 60_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.isfinite(bound).all()
    assert peak < 2e6, f"{peak / 1e6:.1f} MB for K = 60,000; the K×N weights alone would be {60_000 * 16 * 8 / 1e6} MB"


def test_4_hours_of_evaluation_are_said_first_and_need_yes(trained_file, mnist_small, monkeypatch):
    from vae_explorer.trainer.latent import likelihood

    monkeypatch.setattr(likelihood, "LONG_SECONDS", 0.0)  # any evaluation counts as long
    code, _, err = run(["eval", trained_file[0], "--iw", 1000, "--data", "mnist-10k"])
    assert code == 2 and "compiled calls" in err and "add --yes to run it anyway" in err
    assert "Traceback" not in err


def test_4_k_zero_is_refused_before_anything_is_loaded(tmp_path):
    code, _, err = run(["eval", tmp_path / "does-not-exist.h5", "--iw", 0])
    assert code == 2 and "--iw K must be between 1 and 1,000,000 (got 0)" in err


def test_6_streamed_and_in_memory_hold_out_the_same_images_with_an_unreadable_file(tmp_path, mnist_small):
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.files.imagegrid import write_png

    folder = tmp_path / "digits"
    folder.mkdir()
    for i, image in enumerate(mnist_small.x_train[:20]):
        write_png(folder / f"{i:02d}.png", image)
    (folder / "broken.png").write_bytes(b"this is not an image")
    memory, streamed = load_dataset(folder), load_dataset(folder, stream=True)
    assert (len(memory.x_train), len(memory.x_test)) == (streamed.n_train, streamed.n_test) == (16, 4)
    assert memory.held_out_digest() == streamed.held_out_digest()
    assert any("broken.png" in w for w in memory.warnings) and any("broken.png" in w for w in streamed.warnings)


def test_8_resuming_into_the_same_file_keeps_the_earlier_run_record(tmp_path, small_npz):
    model = tmp_path / "m.h5"
    assert run(["train", "--data", small_npz, "--preset", "dense", "--epochs", 1, "--out", model])[0] == 0
    first = json.loads(Path(f"{model}.run.json").read_text())
    first["likelihood"] = [{"iw_k": 5, "iw_nll": 1.0}]  # what eval --iw would have added
    Path(f"{model}.run.json").write_text(json.dumps(first))
    assert run(["train", "--resume", model, "--epochs", 1, "--out", model])[0] == 0
    newest = json.loads(Path(f"{model}.run.json").read_text())
    kept = json.loads(Path(newest["parent"]).read_text())
    assert kept["started"] == first["started"] and kept["likelihood"] == first["likelihood"]
    assert kept["wall_time"] == first["wall_time"] and newest["resumed_from"] == str(model)
    code, out, _ = run(["runs", tmp_path])
    assert code == 0 and out.count("m.h5") == 2


def test_9_written_files_follow_the_umask_and_keep_a_replaced_file_s_mode(tmp_path, trained_file):
    old = os.umask(0o022)
    try:
        png = tmp_path / "g.png"
        assert run(["export", trained_file[0], "--what", "grid", "--n", 3, "--out", png])[0] == 0
        assert stat.S_IMODE(png.stat().st_mode) == 0o644
        png.chmod(0o640)
        assert run(["export", trained_file[0], "--what", "grid", "--n", 4, "--out", png])[0] == 0
        assert stat.S_IMODE(png.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_zero_epochs_are_refused(tmp_path):
    code, _, err = run(["train", "--epochs", 0, "--out", tmp_path / "m.h5"])
    assert code == 2 and "expected a whole number ≥ 1, got '0'" in err and not (tmp_path / "m.h5").exists()


def test_a_t_sne_layout_of_a_latent_1_model_is_one_line_naming_the_file(tmp_path, small_npz):
    model = tmp_path / "one.h5"
    assert (
        run(["train", "--data", small_npz, "--preset", "dense", "--latent-dim", 1, "--epochs", 1, "--out", model])[0]
        == 0
    )
    code, _, err = run(["export", model, "--what", "layout", "--layout", "tsne", "--out", tmp_path / "map.csv"])
    assert code == 2
    one_line_naming(err, model)
    assert "at least 2 latent dimensions" in err


def test_encode_names_the_problem_without_tensorflow_s_internals(trained_file, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    code, _, err = run(["encode", trained_file[0], fake])
    assert code == 2 and str(fake) in err
    assert "{{" not in err and "function_node" not in err and "[Op:" not in err
