"""What ``pip install`` puts on a user's machine: one import package of our own, every module of the
source tree in it (the build finds the packages itself), and a package that works without the
repository beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOTS = {"trainer": "vae_explorer.trainer", "explorer": "vae_explorer.explorer"}


def source_modules(root: str = ROOT) -> list[str]:
    """Every module of the source tree under the name it installs as."""
    names = []
    for folder, package in ROOTS.items():
        for here, subdirs, files in os.walk(os.path.join(root, folder)):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            relative = os.path.relpath(here, os.path.join(root, folder))
            prefix = package if relative == "." else ".".join([package, *relative.split(os.sep)])
            names += [prefix if f == "__init__.py" else f"{prefix}.{f[:-3]}" for f in files if f.endswith(".py")]
    return sorted(names)


def build_wheel(source: str, out) -> str:
    """``pip wheel`` of a copy of ``source`` (the build writes into the tree it builds)."""
    tree = os.path.join(str(out), "tree")
    shutil.copytree(source, tree, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "tests"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), tree],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (name,) = [n for n in os.listdir(out) if n.endswith(".whl")]
    return os.path.join(str(out), name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> str:
    return build_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory, wheel) -> str:
    """A new virtual environment holding the wheel alone; its dependencies come from this one's
    site-packages, placed after its own (``PYTHONPATH`` entries do not run ``.pth`` files, so this
    environment's editable install of the repository cannot leak in)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = os.path.join(str(venv), "bin", "python")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return python


def test_the_wheel_installs_one_import_package_of_its_own(wheel):
    """`trainer` is another distribution's top-level name on the public index: never ours."""
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"vae_explorer"}
    for data in ("vae_explorer/mnist_10k.npz", "vae_explorer/icon.svg", "vae_explorer/DATA_LICENSE.md"):
        assert data in names
    assert not [n for n in names if n.endswith(".png")]  # the README's screenshots stay in the repository


def test_every_module_of_the_tree_imports_from_the_installed_wheel(fresh_venv):
    code = (
        "import importlib, json, sys, os\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "files = {name: importlib.import_module(name).__file__ for name in json.loads(sys.argv[1])}\n"
        "print(json.dumps(files))"
    )
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": deps}
    proc = subprocess.run(
        [fresh_venv, "-c", code, json.dumps(source_modules())],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=os.path.dirname(fresh_venv),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = json.loads(proc.stdout.strip().splitlines()[-1])
    site = os.path.dirname(os.path.dirname(fresh_venv))
    assert all(path.startswith(site) for path in files.values()), "a module came from the repository, not the wheel"


def test_a_package_the_build_was_not_told_about_is_in_the_wheel(tmp_path):
    """A new folder with an ``__init__.py`` needs no entry anywhere: the build finds it."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "__pycache__", "tests", "*.egg-info", "build"))
    (source / "explorer" / "newpart").mkdir()
    (source / "explorer" / "newpart" / "__init__.py").write_text('"""A part added later."""\n')
    (source / "explorer" / "newpart" / "thing.py").write_text("VALUE = 1\n")
    names = zipfile.ZipFile(build_wheel(str(source), tmp_path / "wheel")).namelist()
    assert "vae_explorer/explorer/newpart/thing.py" in names


def test_the_installed_package_trains_from_another_folder(fresh_venv, tmp_path):
    """Not editable, run from elsewhere: the embedded dataset comes from the installed package."""
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    code = (
        "import sys, vae_explorer.trainer.cli as cli; print(cli.__file__, file=sys.stderr); "
        "sys.exit(cli.main(sys.argv[1:]))"
    )
    run = tmp_path / "elsewhere"
    run.mkdir()
    train = subprocess.run(
        [fresh_venv, "-c", code, "train", "--preset", "dense", "--epochs", "1", "--out", "m.h5"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert train.returncode == 0, train.stderr
    assert train.stderr.startswith(os.path.dirname(os.path.dirname(fresh_venv)))  # the installed copy
    assert "on mnist-10k: 8000 train / 2000 held-out" in train.stderr
    assert (run / "m.h5").is_file()


TENSORFLOW_BUILDS = {"tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos", "tf-nightly"}


def project_requirements(*extras: str) -> list[str]:
    """The requirement strings of pyproject.toml: the dependencies and the named extras."""
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    return [*project["dependencies"], *(r for extra in extras for r in project["optional-dependencies"][extra])]


def resolved(requirements: list[str], tmp_path) -> dict[str, dict]:
    """What pip would install for ``requirements`` (name → its metadata), from the index, nothing installed."""
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report",
         str(report), *requirements],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {i["metadata"]["name"].lower(): i["metadata"] for i in json.loads(report.read_text())["install"]}


def test_an_install_resolves_to_exactly_one_tensorflow(tmp_path):
    """Two TensorFlow distributions would write the same ``tensorflow/`` package over each other.
    The base install is resolved from the index. The GPU extra is checked on that TensorFlow's own
    metadata: it must add CUDA's libraries to the one TensorFlow (its ``and-cuda`` extra), not a
    second build of it. Resolving the extra itself downloads 2-3 GB of CUDA wheels wherever the
    index serves no separate metadata: over 10 minutes on a slow day, so it is not done here."""
    from packaging.requirements import Requirement

    installed = resolved(project_requirements(), tmp_path)
    assert sorted(TENSORFLOW_BUILDS & set(installed)) == ["tensorflow"]
    assert not [n for n in installed if n.startswith("nvidia-")]
    extra = [Requirement(r) for r in project_requirements("gpu")[len(project_requirements()) :]]
    assert [(r.name, r.extras) for r in extra] == [("tensorflow", {"and-cuda"})]
    cuda = [Requirement(r) for r in installed["tensorflow"].get("requires_dist", [])]
    added = {r.name.lower() for r in cuda if r.marker is not None and r.marker.evaluate({"extra": "and-cuda"})}
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12"} <= added
    assert not added & TENSORFLOW_BUILDS
