"""`bakso` and `python -m bakso_tui`: a warm parent first, else the command line here.

`bakso tui` is first offered to this user's warm parent (``bakso_tui/warm``),
which has the program imported and forks the session: only the standard
library is loaded before that. Without one, the command line runs in this
process (:func:`run`), as it does for every other command.

It starts without the garbage collector: start-up allocates hundreds of
thousands of objects that live as long as the program (modules, classes,
the models' mappings, the stylesheet), and the collector walked them again
and again while they were made: with it off, `bakso tui` imports ~15%
faster (issue 16). Every command but the TUI turns it back on before it runs
(``cli/context.py``); the TUI after its first frame, once those objects are
frozen out of its passes (``BaksoApp.on_mount``).
"""

import gc
import sys


def main() -> None:
    gc.disable()
    from bakso_tui.warm.launch import hand_over

    code = hand_over(sys.argv)
    if code is not None:
        sys.exit(code)
    run()


def run() -> None:
    """The command line in this process (a warm parent's child runs this too)."""
    gc.disable()
    from bakso_tui.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
