"""The ``equilibria`` command line (the contract is in docs/design.md; scripts depend on it).

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error. Set ``EQUILIBRIA_DEBUG=1`` to
see the traceback of an internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, NoReturn

from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult
from equilibria.games.normal_form import NormalFormGame

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def load_game(spec: str) -> NormalFormGame:
    """A zoo name, or a path to a Gambit ``.nfg`` or equilibria ``.json`` file."""
    from equilibria.games import zoo

    path = Path(spec)
    if path.suffix.lower() in {".nfg", ".json"} or path.exists():
        from equilibria.games.io import load_game as load_file

        return load_file(path)
    try:
        return zoo.get(spec)
    except KeyError as exc:
        raise GameError(f"{exc.args[0]}, and no file of that name exists") from None


# -- formatting ----------------------------------------------------------------------------------------------------


def _number(x: Any, exact: bool) -> str:
    if exact:
        return str(Fraction(x))
    return f"{float(x):.6g}"


def _json_number(x: Any) -> float:
    return float(x)


def _profile_rows(result: SolveResult) -> list[dict[str, Any]]:
    entries = []
    for profile, values, certificate in zip(result.equilibria, result.values, result.certificate, strict=True):
        entry: dict[str, Any] = {}
        if result.certificate_name in {"ce_gap", "cce_gap"}:
            entry["distribution"] = [_json_number(x) for x in profile.ravel()]
            entry["shape"] = list(profile.shape)
        else:
            entry["strategies"] = [[_json_number(x) for x in s] for s in profile]
            if result.rational:
                entry["exact"] = [[str(Fraction(x)) for x in s] for s in profile]
        entry["payoffs"] = [_json_number(v) for v in values]
        entry[result.certificate_name] = _json_number(certificate)
        entries.append(entry)
    return entries


def result_to_json(result: SolveResult, game_label: str) -> dict[str, Any]:
    """The JSON document of ``equilibria solve --format json`` (shape fixed by docs/design.md)."""
    return {
        "game": game_label,
        "method": result.method,
        "equilibria": _profile_rows(result),
        "seconds": result.seconds,
        "converged": result.converged,
        "iterations": result.iterations,
        "certificate": result.certificate_name,
    }


def result_to_table(result: SolveResult, game: NormalFormGame, game_label: str) -> str:
    exact = result.rational
    lines = [
        game.describe() if game.name else f"{game_label}: {game.describe()}",
        f"method {result.method}: {len(result)} equilibri{'um' if len(result) == 1 else 'a'}, "
        f"{result.seconds * 1e3:.2f} ms, {result.iterations} iterations"
        + ("" if result.converged else "  [NOT CONVERGED: budget exhausted, results incomplete]"),
    ]
    for k, (profile, values, certificate) in enumerate(
        zip(result.equilibria, result.values, result.certificate, strict=True), start=1
    ):
        shown = _number(certificate, exact) if exact else f"{float(certificate):.2e}"
        payoffs = ", ".join(_number(v, exact) for v in values)
        lines.append(f"  #{k}  {result.certificate_name} = {shown}  payoffs ({payoffs})")
        if result.certificate_name in {"ce_gap", "cce_gap"}:
            for index in zip(*profile.nonzero(), strict=True):
                if float(profile[index]) > 1e-12:
                    names = [_action_name(game, i, a) for i, a in enumerate(index)]
                    lines.append(f"      P({', '.join(names)}) = {_number(profile[index], exact)}")
            continue
        for i, strategy in enumerate(profile):
            player = game.player_labels[i] if game.player_labels else f"player {i + 1}"
            mix = ", ".join(f"{_action_name(game, i, a)}: {_number(p, exact)}" for a, p in enumerate(strategy)
                            if (p != 0 if exact else abs(float(p)) > 1e-12))
            lines.append(f"      {player:<10} {mix}")
    return "\n".join(lines)


def _action_name(game: NormalFormGame, player: int, action: int) -> str:
    return game.action_labels[player][action] if game.action_labels else str(action)


# -- commands ------------------------------------------------------------------------------------------------------


def cmd_games(args: argparse.Namespace) -> int:
    from equilibria.games import zoo

    rows = [(e.name, e.game().describe().split(": ", 1)[-1], e.description) for e in zoo.ENTRIES]
    if args.format == "json":
        print(json.dumps([{"name": n, "shape": s, "description": d} for n, s, d in rows], indent=1))
        return EXIT_OK
    width = max(len(n) for n, _, _ in rows)
    for name, shape, description in rows:
        print(f"{name:<{width}}  {shape:<26}  {description}")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from equilibria.solvers import solve

    game = load_game(args.game)
    result = solve(game, args.method, all_equilibria=args.all, rational=args.rational, max_seconds=args.max_seconds)
    label = game.name or args.game
    if args.format == "json":
        print(json.dumps(result_to_json(result, label), indent=1))
    else:
        print(result_to_table(result, game, label))
    return EXIT_OK


def cmd_reproduce(args: argparse.Namespace) -> int:
    from equilibria.experiments import registry, resolve
    from equilibria.experiments.runner import run_all

    if args.all and args.names:
        raise GameError("reproduce: give experiment names or --all, not both")
    names = sorted(registry()) if args.all or not args.names else args.names
    experiments = resolve(names)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise GameError(f"reproduce --out: {out} exists and is not a directory")
    outcomes = run_all(experiments, out, quick=args.quick, show_progress=not args.no_progress,
                       resume=not args.fresh)
    for o in outcomes:
        verdict = "reproduced" if o.result.passed else "NOT reproduced"
        timing = "checkpoint" if o.cached else f"{o.seconds:.1f} s"
        print(f"{o.experiment.name}: {verdict} ({sum(c.passed for c in o.result.checks)}/"
              f"{len(o.result.checks)} checks, {timing})")
    print(f"report: {(out / 'index.html').resolve()}")
    return EXIT_OK if all(o.result.passed for o in outcomes) else EXIT_INTERNAL


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from equilibria import __version__
    from equilibria.solvers import SOLVERS

    parser = _Parser(prog="equilibria", description="Game theory for machine learning: games, certified "
                     "equilibria, learning dynamics, reproductions.")
    parser.add_argument("--version", action="version", version=f"equilibria {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    games = commands.add_parser("games", help="list the zoo of named games")
    games.add_argument("--format", choices=("table", "json"), default="table")
    games.set_defaults(handler=cmd_games)

    solve = commands.add_parser("solve", help="compute equilibria of a game with a certificate",
                                description="GAME is a zoo name (see `equilibria games`) or a .nfg/.json file. "
                                "Methods: " + "; ".join(f"{s.name}: {s.description}" for s in SOLVERS.values()))
    solve.add_argument("game", metavar="GAME")
    solve.add_argument("--method", "-m", default=None, help="solver (default: chosen from the game)")
    solve.add_argument("--all", action="store_true", help="all (extreme) equilibria")
    solve.add_argument("--rational", action="store_true", help="exact fractions (exact solvers only)")
    solve.add_argument("--max-seconds", type=_positive_float, default=None,
                       help="stop after this long and return what was found, marked not converged")
    solve.add_argument("--format", choices=("table", "json"), default="table")
    solve.set_defaults(handler=cmd_solve)

    reproduce = commands.add_parser("reproduce", help="run registered reproductions and write an HTML report")
    reproduce.add_argument("names", nargs="*", metavar="NAME", help="experiments to run (default: all)")
    reproduce.add_argument("--all", action="store_true", help="run every registered experiment")
    reproduce.add_argument("--quick", action="store_true", help="small configurations that run in seconds")
    reproduce.add_argument("--out", default="report", help="output directory (default: ./report)")
    reproduce.add_argument("--backend", choices=("local",), default="local", help="where to run (local)")
    reproduce.add_argument("--fresh", action="store_true", help="ignore checkpoints and run everything again")
    reproduce.add_argument("--no-progress", action="store_true", help="no progress bars")
    reproduce.set_defaults(handler=cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except GameError as exc:
        print(f"equilibria: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("equilibria: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line unless debugging
        if os.environ.get("EQUILIBRIA_DEBUG"):
            traceback.print_exc()
        print(f"equilibria: internal error: {type(exc).__name__}: {exc} (set EQUILIBRIA_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
