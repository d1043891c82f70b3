"""The headless commands (``vae-explorer train|export|eval|info|runs|encode``).

``main`` and ``COMMANDS`` are importable from here; each command lives in its own module and
imports TensorFlow only when it runs, so ``--help`` stays fast.
"""

from vae_explorer.trainer.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
