"""The habits that keep the code readable, checked: modules of one job (at most 300 lines),
functions that fit on a screen (at most 40 lines), and the two rooms kept apart (``trainer/``
imports no Qt; the app's state objects import no Qt either)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 40


def python_files(*folders: str) -> list[str]:
    found = []
    for folder in folders:
        for here, subdirs, files in os.walk(os.path.join(ROOT, folder)):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            found += [os.path.join(here, f) for f in files if f.endswith(".py")]
    return sorted(found)


def long_functions(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return [
        f"{os.path.relpath(path, ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_no_module_over_300_lines():
    long = []
    for path in python_files("trainer", "explorer"):
        with open(path, encoding="utf-8") as f:
            lines = sum(1 for _ in f)
        if lines > MAX_MODULE_LINES:
            long.append(f"{os.path.relpath(path, ROOT)} ({lines} lines)")
    assert not long, "modules over 300 lines: " + ", ".join(long)


def test_no_function_over_40_lines():
    long = [entry for path in python_files("trainer", "explorer") for entry in long_functions(path)]
    assert not long, "functions over 40 lines: " + ", ".join(long)


STATE_MODULES = (
    "explorer.core.evented",
    "explorer.core.session",
    "explorer.map.state",
    "explorer.training.state",
    "explorer.draw.state",
    "explorer.runs.state",
)


def test_the_state_objects_import_no_qt():
    """What the user set lives in Qt-free state objects: sessions, undo and tests read them alone."""
    imports = "; ".join(f"import vae_explorer.{name}" for name in STATE_MODULES)
    code = f"import sys; {imports}; print([m for m in ('PySide6', 'pyqtgraph') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
