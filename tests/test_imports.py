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
