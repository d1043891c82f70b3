"""The build: setuptools, with every package under ``trainer/`` and ``explorer/`` found by walking
the folders and installed inside one import package of this project's own name.

``trainer/`` becomes ``vae_explorer.trainer``, ``explorer/`` becomes ``vae_explorer.explorer`` and
``assets/`` is ``vae_explorer`` itself (the embedded dataset, the icon). pyproject.toml cannot say
"find the packages under this folder and give them this prefix" (setuptools' discovery keeps the
folder's names, hatchling's path rewriting refuses editable installs), so this wrapper passes the
packages it finds to setuptools: a new folder with an ``__init__.py`` is in the wheel without
anyone listing it (``tests/test_packaging.py`` imports every module from a built wheel).
"""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools

ROOTS = {"vae_explorer": "assets", "vae_explorer.trainer": "trainer", "vae_explorer.explorer": "explorer"}


def find_packages(roots: dict[str, str] = ROOTS) -> list[str]:
    """Every folder with an ``__init__.py`` under each root, named under the root's package."""
    found = []
    for name, folder in roots.items():
        for here, subdirs, files in os.walk(folder):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith((".", "__")))
            if "__init__.py" in files:
                relative = os.path.relpath(here, folder)
                found.append(name if relative == "." else ".".join([name, *relative.split(os.sep)]))
    return found


class _Backend(_setuptools._BuildMetaBackend):
    def run_setup(self, setup_script: str = "setup.py") -> None:
        import setuptools

        setuptools.setup(packages=find_packages(), package_dir=dict(ROOTS))


_backend = _Backend()
get_requires_for_build_wheel = _backend.get_requires_for_build_wheel
get_requires_for_build_sdist = _backend.get_requires_for_build_sdist
get_requires_for_build_editable = _backend.get_requires_for_build_editable
prepare_metadata_for_build_wheel = _backend.prepare_metadata_for_build_wheel
prepare_metadata_for_build_editable = _backend.prepare_metadata_for_build_editable
build_wheel = _backend.build_wheel
build_sdist = _backend.build_sdist
build_editable = _backend.build_editable
