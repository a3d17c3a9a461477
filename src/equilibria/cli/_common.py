"""What every command shares: exit codes, one-line errors, the strict number grammar of flags, loading a game.

Exit codes: 0 ok, 2 bad input (one line on stderr, no traceback), 1 internal error.
"""

from __future__ import annotations

import argparse
import math
import re
import textwrap
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from equilibria.core.errors import GameError, one_line
from equilibria.games.normal_form import NormalFormGame

if TYPE_CHECKING:
    pass

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped without breaking names at their hyphens (``rock-paper-`` / ``scissors`` cannot be
    copied into a command)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2, and help keeps names whole."""

    def __init__(self, *args: Any, **options: Any) -> None:
        options.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **options)

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument ") and message.endswith(": expected one argument"):
            # argparse reads a value starting with '-' (`--ctr -1,0`) as another flag: say how to pass it
            flag = message[len("argument "):].split(":")[0].split("/")[-1]
            message += f" (a value that starts with '-' must be attached: {flag}=VALUE)"
        self.exit(EXIT_BAD_INPUT, f"{one_line(f'{self.prog}: error: {message} (see --help)')}\n")


def load_game(spec: str, params: dict[str, str] | None = None) -> Any:
    """A zoo name (normal-form, extensive-form, stochastic or mean-field; any case, hyphens or underscores, the
    usual abbreviations), or a path to a Gambit ``.nfg``/``.efg`` or ``.json`` file. ``params``: a mean-field
    environment's parameters as text (``--param``); refused for any other game."""
    if params:
        from equilibria.games.zoo import mean_field_index

        try:
            entry = mean_field_index.entry(spec)
        except GameError:
            raise GameError(f"--param: {spec!r} is not a mean-field environment (parameters are for those; see "
                            "`equilibria games`)") from None
        return entry.game(params)
    from equilibria.games.zoo import normal_form as normal_form_zoo
    from equilibria.games.zoo._lookup import canonical_name, find

    if not spec or "\0" in spec:
        raise GameError(f"no game named {spec!r}: give a zoo name (see `equilibria games`) or a game file")
    path = Path(spec)
    try:
        is_file = path.suffix.lower() in {".nfg", ".efg", ".json"} or path.exists()
    except OSError as exc:  # a name the file system refuses (too long, ...): not a zoo name either
        raise GameError(f"cannot look up {spec[:60]!r}: {exc.strerror or exc}") from None
    if is_file:
        from equilibria.games.io import load_game as load_file

        return load_file(path)
    if canonical_name(dict.fromkeys(normal_form_zoo.names()), spec) is not None:
        return normal_form_zoo.get(spec)  # the trees' zoos are not imported for a normal-form name (start-up)
    from equilibria.games.zoo import extensive_form as tree_zoo
    from equilibria.games.zoo import general_sum_trees, mean_field_index
    from equilibria.games.zoo import stochastic as stochastic_zoo

    zoos = {name: module for module in (normal_form_zoo, tree_zoo, general_sum_trees, stochastic_zoo)
            for name in module.names()}
    zoos.update({name: mean_field_index for name in mean_field_index.names()})
    for alias in mean_field_index.MEAN_FIELD_ALIASES:
        zoos.setdefault(alias, mean_field_index)
    try:
        module = find(zoos, spec, "zoo", error=GameError)
    except GameError as exc:
        raise GameError(f"{exc}; no file of that name exists either") from None
    return module.get(spec)


def load_normal_form(spec: str, caller: str) -> NormalFormGame:
    game = load_game(spec)
    if not isinstance(game, NormalFormGame):
        from equilibria.games.stochastic import StochasticGame

        kind = "a stochastic game" if isinstance(game, StochasticGame) else "a game tree"
        raise GameError(f"{caller}: {spec!r} is {kind}; this command needs a normal-form game")
    return game


# -- numbers on the command line -----------------------------------------------------------------------------------
# One strict grammar for every numeric flag: ASCII decimal, optional exponent. Python's own float() and int() also
# take "nan", "inf", "1_000", surrounding blanks and non-ASCII digits ("١٢"), none of which a script means.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_INTEGER_DIGITS = 30  # an integer flag never needs more; beyond, the text is refused before it is expanded


def _decimal(text: str, kind: str) -> Decimal:
    if not (text.isascii() and _DECIMAL_TEXT.fullmatch(text)):
        raise argparse.ArgumentTypeError(f"expected {kind} (ASCII digits, e.g. 0.25 or 1e-3), got {one_line(text)!r}")
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond even Decimal's range (about 1e18 digits)
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text[:40]!r}: its exponent is out of range") from None


def finite_float(text: str) -> float:
    value = float(_decimal(text, "a finite number"))
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r} (beyond the float range)")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def integer(text: str) -> int:
    """An integer, also written with an exponent (``1e9``) when its value is whole."""
    number = _decimal(text, "an integer")
    if number.adjusted() >= _MAX_INTEGER_DIGITS:
        raise argparse.ArgumentTypeError(f"expected an integer of at most {_MAX_INTEGER_DIGITS} digits, got {text!r}")
    if number != number.to_integral_value():
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(number)


def nonnegative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def steps_count(text: str) -> int:
    from equilibria.dynamics.report import MAX_STEPS

    value = positive_int(text)
    if value > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_STEPS} steps (the step counter is an int32), got "
                                         f"{text!r}")
    return value


def iterations_count(text: str) -> int:
    from equilibria.solvers import MAX_ITERATIONS

    value = positive_int(text)
    if value > MAX_ITERATIONS:
        raise argparse.ArgumentTypeError(f"expected at most 2^63 - 1 iterations, got {text!r}")
    return value

