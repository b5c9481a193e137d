"""`python -m bakso_tui.warm serve …` (started by `bakso`), `… office` and `… stop`.

``office`` is the office's parent, one for every member of a group, run by root
at boot (``docs/bakso-warm.service``; ``python -s -P -m bakso_tui.warm office
--group bakso``), in the foreground.

``stop`` ends this user's warm parents (sessions already running go on); an
administrator never needs it after an upgrade, since a parent ends by itself
when the installed code changes, but may use it to free the memory at once.
"""

from __future__ import annotations

import argparse
import sys

from bakso_tui import warm
from bakso_tui.warm import parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bakso_tui.warm")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--dir", required=True)
    serve.add_argument("--name", required=True)
    serve.add_argument("--idle", type=float, default=15 * 60)
    serve.add_argument("--delay", type=float, default=0.0)
    office = commands.add_parser("office")
    office.add_argument("--socket", default=warm.OFFICE_SOCKET)
    office.add_argument("--group", default="bakso")
    stop = commands.add_parser("stop")
    stop.add_argument("--dir")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return parent.serve(args.dir, args.name, args.idle, args.delay)
    if args.command == "office":
        return parent.serve_office(args.socket, args.group)
    print(" ".join(str(pid) for pid in parent.stop_all(args.dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
