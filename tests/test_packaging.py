"""What ``pip install`` puts on a user's machine: import names of our own, and a package that
works without the repository beside it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), ROOT],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (name,) = [n for n in os.listdir(out) if n.endswith(".whl")]
    return str(out / name)


def test_the_wheel_installs_one_import_package_of_its_own(wheel):
    """`trainer` is another distribution's top-level name on the public index: never ours."""
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"vae_explorer"}
    for module in ("vae_explorer/trainer/cli.py", "vae_explorer/trainer/data/npz.py",
                   "vae_explorer/explorer/main_window.py", "vae_explorer/mnist_10k.npz", "vae_explorer/icon.svg"):
        assert module in names


def test_the_installed_package_trains_from_another_folder(wheel, tmp_path):
    """Not editable, run from elsewhere: the embedded dataset comes from the installed package."""
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                           wheel], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = tmp_path / "elsewhere"
    run.mkdir()
    code = ("import sys, vae_explorer.trainer.cli as cli; print(cli.__file__, file=sys.stderr); "
            "sys.exit(cli.main(sys.argv[1:]))")
    help_ = subprocess.run([sys.executable, "-c", code, "--help"], cwd=run, env=env, capture_output=True, text=True,
                           timeout=60)
    assert help_.returncode == 0 and "train" in help_.stdout
    assert help_.stderr.startswith(str(target))  # the installed copy, not the repository
    train = subprocess.run([sys.executable, "-c", code, "train", "--preset", "dense", "--epochs", "1",
                            "--out", "m.h5"], cwd=run, env=env, capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr
    assert "on mnist-10k: 8000 train / 2000 held-out" in train.stderr
    assert (run / "m.h5").is_file()
