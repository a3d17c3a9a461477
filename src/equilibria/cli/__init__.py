"""The ``equilibria`` command line (the contract is in docs/design.md; scripts depend on it).

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error. Set ``EQUILIBRIA_DEBUG=1`` to
see the traceback of an internal error.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from equilibria.cli._common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, one_line
from equilibria.cli.parser import build_parser
from equilibria.core.errors import GameError

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and return the exit code (usage errors, --help
    and --version included: argparse's exits become return values)."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else EXIT_OK if exit_.code is None else EXIT_BAD_INPUT
        return int(args.handler(args))
    except GameError as exc:
        print(one_line(f"equilibria: error: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("equilibria: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`equilibria ... | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line unless debugging
        if os.environ.get("EQUILIBRIA_DEBUG"):
            traceback.print_exc()
        print(one_line(f"equilibria: internal error: {type(exc).__name__}: {exc} (set EQUILIBRIA_DEBUG=1 for the "
                       f"traceback)"), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
