"""The core must import and run without Qt: napari's rule, checked in a clean interpreter."""

import subprocess
import sys

CHECK = """
import sys
import vae_explorer.trainer.cli, vae_explorer.trainer.data, vae_explorer.trainer.training.loop
import vae_explorer.trainer.files.modelfile, vae_explorer.trainer.model.space, vae_explorer.trainer.files.exports
import vae_explorer.trainer.files.imagegrid
leaked = [m for m in ("PySide6", "pyqtgraph", "vae_explorer.explorer") if m in sys.modules]
print("LEAKED:" + ",".join(leaked))
"""


def test_trainer_imports_without_qt():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "LEAKED:\n" in out.stdout or out.stdout.strip().endswith("LEAKED:"), out.stdout


def test_import_trainer_is_light():
    """Importing the package itself must not load TensorFlow (the app shows before TF loads)."""
    code = (
        "import sys, vae_explorer.trainer.data, vae_explorer.trainer.model.config; print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_the_window_s_background_start_up_imports_tensorflow_itself():
    """The trainer's modules import TensorFlow lazily; the window's start-up job must import it
    all, or the first Start imports it on the training thread, holding the GIL for seconds (the
    window froze 2-8 s, tests/benchmarks/stalls.py)."""
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from vae_explorer.explorer.main_window import _load_tensorflow\n"
        "assert 'tensorflow' not in sys.modules\n"
        "assert _load_tensorflow()\n"
        "print(all(m in sys.modules for m in ('tensorflow.python.ops.math_ops', 'keras.src.models.model')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
