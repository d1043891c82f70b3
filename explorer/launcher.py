"""The ``vae-explorer`` entry point: a headless command, or the desktop app.

``vae-explorer train|export|eval|info …`` runs the Qt-free core (``trainer.cli``); anything
else (nothing, a model file, ``--data PATH``) opens the window. The dispatch lives on the
explorer side so that ``trainer`` never imports the front end.
"""

from __future__ import annotations

import sys

from vae_explorer.trainer.cli import COMMANDS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS + ("-h", "--help"):
        from vae_explorer.trainer.cli import main as cli_main

        sys.exit(cli_main(argv, exit_at_once_on_interrupt=True))
    from vae_explorer.explorer.app import main as app_main

    sys.exit(app_main(argv))


if __name__ == "__main__":
    main()
