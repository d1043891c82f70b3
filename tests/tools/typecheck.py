"""Type-check the installed package's sources with mypy: ``python tests/tools/typecheck.py``.

The repository keeps ``trainer/`` and ``explorer/`` at its top, but they install (and import each
other) as ``vae_explorer.trainer`` and ``vae_explorer.explorer``, which mypy cannot map from the
folders alone. So a temporary folder gets a ``vae_explorer`` package of symbolic links to them,
mypy checks it with the settings of pyproject.toml (``trainer`` fully typed, ``explorer``
checked), and the paths it prints are turned back into the repository's. Exit code: mypy's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINKS = {"__init__.py": "assets/__init__.py", "trainer": "trainer", "explorer": "explorer"}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vae-typecheck-") as tmp:
        package = os.path.join(tmp, "vae_explorer")
        os.mkdir(package)
        for name, target in LINKS.items():
            os.symlink(os.path.join(ROOT, target), os.path.join(package, name))
        env = {**os.environ, "MYPYPATH": tmp}
        proc = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", os.path.join(ROOT, "pyproject.toml"), "-p", "vae_explorer"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        for stream, text in ((sys.stdout, proc.stdout), (sys.stderr, proc.stderr)):
            stream.write(text.replace("vae_explorer/__init__.py", "assets/__init__.py").replace("vae_explorer/", ""))
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
