"""``equilibria solve`` on a stochastic game: the stationary profile per state, each player's values, and the
certificate.

Every number printed comes from the metrics layer (``parameters["state_values"]`` and the values are
:func:`equilibria.metrics.stochastic.profile_values` of the returned profile, the certificate its
:func:`~equilibria.metrics.stochastic.exploitability`), never from a solver's iterate. Values are discounted sums,
not normalised by ``1 - discount``: the output says so.

JSON (a stable contract, docs/design.md): the header every solve document shares, then ``"values"``
``[player][state]``, ``"initial_values"`` ``[player]`` (from the game's initial distribution), ``"policies"``
``[state][player][action]`` (the state's own actions only), ``"exploitability"``, ``"values_are"``
(``"discounted sums, not normalised"``), and the state and action names.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from equilibria.cli.solve import _status_text, result_to_json_header
from equilibria.core.result import SolveResult
from equilibria.games.stochastic import StochasticGame

VALUES_ARE = "discounted sums, not normalised by 1 - discount"
MAX_STATE_LINES = 40  # the table lists at most this many states (the JSON lists every one)


def _number(x: Any, exact: bool) -> str:
    return str(Fraction(x)) if exact else f"{float(x):.6g}"


def _json_number(x: Any, exact: bool) -> float | str:
    return str(Fraction(x)) if exact else float(x)


def _state_values(result: SolveResult) -> np.ndarray:
    return np.asarray(result.parameters["state_values"], dtype=object if result.rational else float)


def stochastic_result_to_json(result: SolveResult, game: StochasticGame, game_label: str) -> dict[str, Any]:
    """``equilibria solve --format json`` for a stochastic game (module docstring)."""
    exact = result.rational
    document = result_to_json_header(result, game_label)
    document["values_are"] = VALUES_ARE
    document["discount"] = game.discount
    document["states"] = [game.state_label(s) for s in range(game.n_states)]
    if not result.equilibria:
        document.update(values=None, initial_values=None, policies=None, exploitability=None)
        return document
    profile = result.equilibria[0]
    document["values"] = [[_json_number(v, exact) for v in row] for row in _state_values(result)]
    document["initial_values"] = [_json_number(v, exact) for v in result.values[0]]
    document["policies"] = [
        [[_json_number(p, exact) for p in profile[i][s, : int(game.n_actions[s, i])]] for i in range(game.n_players)]
        for s in range(game.n_states)]
    document["actions"] = [[[game.action_label(s, i, a) for a in range(int(game.n_actions[s, i]))]
                            for i in range(game.n_players)] for s in range(game.n_states)]
    document["exploitability"] = _json_number(result.certificate[0], exact)
    document["equilibria"] = [{"exploitability": document["exploitability"], "payoffs": document["initial_values"]}]
    return document


def stochastic_result_to_table(result: SolveResult, game: StochasticGame, game_label: str) -> str:
    """The table of ``equilibria solve`` for a stochastic game: header, certificate, then one line per state."""
    exact = result.rational
    kind = "zero-sum, " if game.is_zero_sum(1e-12) else ""
    lines = [f"{game.name or game_label}: stochastic game, {game.n_players} players, {game.n_states} states, "
             f"{kind}discount {game.discount:g}",
             f"method {result.method}: {'a stationary profile' if result.equilibria else 'no profile'}, "
             f"{result.seconds * 1e3:.2f} ms, {result.iterations} iterations"
             + _status_text(result, "result approximate")]
    if not result.equilibria:
        return "\n".join(lines)
    profile = result.equilibria[0]
    certificate = result.certificate[0]
    shown = _number(certificate, exact) if exact else f"{float(certificate):.2e}"
    initial = ", ".join(_number(v, exact) for v in result.values[0])
    lines.append(f"  exploitability = {shown}  values from the initial distribution ({initial})  [{VALUES_ARE}]")
    values = _state_values(result)
    for s in range(min(game.n_states, MAX_STATE_LINES)):
        state_values = ", ".join(_number(v, exact) for v in values[:, s])
        policies = []
        for i in range(game.n_players):
            width = int(game.n_actions[s, i])
            if width == 1:
                continue
            mix = ", ".join(f"{game.action_label(s, i, a)}: {_number(profile[i][s, a], exact)}" for a in range(width)
                            if (profile[i][s, a] != 0 if exact else abs(float(profile[i][s, a])) > 1e-12))
            policies.append(f"player {i + 1} {mix}")
        terminal = " (terminal)" if game.terminal[s] else ""
        lines.append(f"  {game.state_label(s)}{terminal}: values ({state_values})"
                     + (f"  {'; '.join(policies)}" if policies and not game.terminal[s] else ""))
    if game.n_states > MAX_STATE_LINES:
        lines.append(f"  ... {game.n_states - MAX_STATE_LINES} more states (--format json lists every one)")
    return "\n".join(lines)


__all__ = ["stochastic_result_to_json", "stochastic_result_to_table"]
