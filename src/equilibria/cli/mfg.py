"""``equilibria mfg`` and ``equilibria solve`` on a mean-field game: the policy, its flow, its value, its certificate.

Every number printed comes from the returned policy through :mod:`equilibria.metrics.mean_field`: the certificate
is its exploitability ``max_pi' J(pi', mu^pi) - J(pi, mu^pi)``, ``value`` is ``J(pi, mu^pi)`` (the population's
expected return, weighted by the initial distribution, of the policy against its own flow), ``flow`` is ``mu^pi``;
the exploitability curve is the solver's record of each iterate's certified exploitability.

JSON (a stable contract, docs/design.md): the header every solve document shares, then ``"exploitability"``,
``"value"``, ``"policy"`` ``[t][state][action]``, ``"flow"`` ``[t][state]`` (``T + 1`` distributions), the
environment's ``"parameters"`` and ``"horizon"``; ``equilibria mfg`` adds ``"exploitability_curve"``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from equilibria.cli._common import EXIT_OK
from equilibria.cli.solve import _status_text, result_to_json_header
from equilibria.core.errors import GameError
from equilibria.core.result import SolveResult

MAX_STATE_LINES = 12  # the table shows at most this many states (the JSON holds every one)


def parse_assignments(pairs: Sequence[str] | None, flag: str) -> dict[str, str]:
    """``NAME=VALUE`` texts as a mapping; a one-line GameError for one without ``=`` or given twice."""
    parsed: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise GameError(f"{flag}: expected NAME=VALUE, got {pair!r}")
        if name.strip() in parsed:
            raise GameError(f"{flag}: {name.strip()!r} given twice")
        parsed[name.strip()] = value.strip()
    return parsed


def _environment_parameters(game: Any) -> dict[str, Any]:
    return {name: np.asarray(value).tolist() for name, value in game.params.items()}


def mean_field_result_to_json(result: SolveResult, game: Any, label: str) -> dict[str, Any]:
    """``--format json`` for a mean-field game (module docstring)."""
    document = result_to_json_header(result, label)
    policy = np.asarray(result.equilibria[0], dtype=float)
    document.update(
        exploitability=float(result.certificate[0]), value=float(result.values[0][0]),
        policy=policy.tolist(), flow=np.asarray(result.parameters["flow"], dtype=float).tolist(),
        horizon=int(game.horizon), parameters=_environment_parameters(game),
        equilibria=[{"exploitability": float(result.certificate[0]), "payoffs": [float(result.values[0][0])]}])
    return document


def mean_field_result_to_table(result: SolveResult, game: Any, label: str) -> str:
    """The table: the header, the certificate and value, then the first and last distributions of the flow and
    the policy at the first decision (states with mass only)."""
    policy = np.asarray(result.equilibria[0], dtype=float)
    flow = np.asarray(result.parameters["flow"], dtype=float)
    lines = [f"{game.name or label}: mean-field game, {game.n_states} states, {game.n_actions} actions, horizon "
             f"{game.horizon}",
             f"method {result.method}: {result.seconds:.2f} s, {result.iterations} iterations"
             + _status_text(result, "result approximate"),
             f"  exploitability = {float(result.certificate[0]):.3e}  value J(pi, mu^pi) = "
             f"{float(result.values[0][0]):.6g}"]
    states = np.flatnonzero(flow[0] > 1e-12)
    actions = game.action_names or tuple(str(a) for a in range(game.n_actions))
    lines.append(f"  t = 0 (states with mass; policy over {', '.join(actions)}):")
    for s in states[:MAX_STATE_LINES]:
        name = game.state_names[s] if game.state_names else str(s)
        mix = ", ".join(f"{p:.4g}" for p in policy[0, s])
        lines.append(f"      {name:<14} mu {flow[0, s]:.4g}   pi ({mix})")
    if states.size > MAX_STATE_LINES:
        lines.append(f"      ... {states.size - MAX_STATE_LINES} more states (--format json lists every one)")
    final = np.argsort(-flow[-1])[:5]
    lines.append(f"  t = {game.horizon}: largest masses "
                 + ", ".join(f"{game.state_names[s] if game.state_names else s}: {flow[-1, s]:.4g}" for s in final))
    return "\n".join(lines)


def stationary_result_to_json(result: SolveResult, game: Any, label: str) -> dict[str, Any]:
    """``--format json`` for a stationary discounted mean-field game: the policy ``[state][action]`` and its
    stationary ``"distribution"`` in place of the time-indexed policy and flow; ``"value"`` is the discounted
    return weighted as the certificate is (``"weighting"``), ``"initial_value"`` the one weighted by ``mu_0``."""
    document = result_to_json_header(result, label)
    p = result.parameters
    document.update(
        exploitability=float(result.certificate[0]), value=float(result.values[0][0]),
        policy=np.asarray(result.equilibria[0], dtype=float).tolist(),
        distribution=np.asarray(p["distribution"], dtype=float).tolist(), discount=float(game.discount),
        weighting=p["weighting"], initial_value=float(p["initial_value"]),
        worst_state_exploitability=float(p["worst_state_exploitability"]), parameters=_environment_parameters(game),
        equilibria=[{"exploitability": float(result.certificate[0]), "payoffs": [float(result.values[0][0])]}])
    return document


def stationary_result_to_table(result: SolveResult, game: Any, label: str) -> str:
    """The table of a stationary game: the certificate and value, then each state's mass and policy."""
    policy = np.asarray(result.equilibria[0], dtype=float)
    distribution = np.asarray(result.parameters["distribution"], dtype=float)
    lines = [f"{game.name or label}: stationary mean-field game, {game.n_states} states, {game.n_actions} actions, "
             f"discount {game.discount:g}",
             f"method {result.method}: {result.seconds:.2f} s, {result.iterations} iterations"
             + _status_text(result, "result approximate"),
             f"  exploitability = {float(result.certificate[0]):.3e} ({result.parameters['weighting']} weighting)  "
             f"value = {float(result.values[0][0]):.6g}"]
    actions = game.action_names or tuple(str(a) for a in range(game.n_actions))
    lines.append(f"  stationary distribution and policy over {', '.join(actions)}:")
    for s in np.argsort(-distribution)[:MAX_STATE_LINES]:
        name = game.state_names[s] if game.state_names else str(s)
        lines.append(f"      {name:<14} mu {distribution[s]:.4g}   pi ({', '.join(f'{p:.4g}' for p in policy[s])})")
    if game.n_states > MAX_STATE_LINES:
        lines.append(f"      ... {game.n_states - MAX_STATE_LINES} more states (--format json lists every one)")
    return "\n".join(lines)


def _solver_options(function: Any, options: Mapping[str, str], method: str) -> dict[str, Any]:
    """``--option NAME=VALUE`` as the solver's keyword arguments (numbers, true/false, or a named choice)."""
    import inspect

    accepted = {name: p.default for name, p in inspect.signature(function).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY
                and name not in {"max_iterations", "max_seconds", "tol"}}
    parsed: dict[str, Any] = {}
    for key, text in options.items():
        name = key.replace("-", "_")
        if name not in accepted:
            raise GameError(f"--option: {method} has no option {key!r} (options: {', '.join(sorted(accepted))})")
        default = accepted[name]
        if isinstance(default, bool):
            if text.lower() not in {"true", "false"}:
                raise GameError(f"--option: {name} expects true or false, got {text!r}")
            parsed[name] = text.lower() == "true"
            continue
        if isinstance(default, str):  # a named choice (weighting=initial): the solver checks it
            parsed[name] = text
            continue
        try:
            value = float(text)
        except ValueError:
            raise GameError(f"--option: {name} expects a number, got {text!r}") from None
        if not np.isfinite(value):
            raise GameError(f"--option: {name} expects a finite number, got {text!r}")
        parsed[name] = int(value) if isinstance(default, int) and value == int(value) else value
    return parsed


def cmd_mfg(args: argparse.Namespace) -> int:
    from equilibria.games.zoo import mean_field_index
    from equilibria.solvers import MEAN_FIELD, SOLVERS, canonical_method, mean_field_kind

    game = mean_field_index.get(args.game, parse_assignments(args.param, "--param"), mean_field_only=True)
    kind = mean_field_kind(game)
    name = canonical_method(args.method, kind)
    spec = SOLVERS[name]
    function = spec.load()
    options: dict[str, Any] = {**dict(spec.options), **_solver_options(function, parse_assignments(
        args.option, "--option"), name), "max_iterations": args.iterations, "max_seconds": args.max_seconds}
    if args.tol is not None:
        options["tol"] = args.tol
    result = function(game, **options)
    label = game.name or args.game
    curve = [float(x) for x in result.parameters["exploitability_curve"]]
    if args.plot:
        _plot(curve, result, label, args.plot)
    to_json, to_table = ((mean_field_result_to_json, mean_field_result_to_table) if kind == MEAN_FIELD
                         else (stationary_result_to_json, stationary_result_to_table))
    if args.format == "json":
        document = to_json(result, game, label)
        document["exploitability_curve"] = curve
        print(json.dumps(document, indent=1))
    else:
        print(to_table(result, game, label))
        shown = ", ".join(f"{k}: {curve[k - 1]:.3e}" for k in _checkpoints(len(curve)))
        print(f"  exploitability after iteration {shown}")
    return EXIT_OK


def _checkpoints(n: int) -> list[int]:
    """About six iteration numbers spread geometrically over 1..n (the curve's shape at a glance)."""
    if n == 0:
        return []
    return sorted({int(round(x)) for x in np.geomspace(1, n, num=min(n, 6))})


def _plot(curve: list[float], result: SolveResult, label: str, path: str) -> None:
    from pathlib import Path

    suffix = Path(path).suffix.lower()
    if suffix not in {".png", ".pdf", ".svg"}:
        raise GameError(f"--plot: expected a .png, .pdf or .svg file name, got {path!r}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    ax.semilogy(np.arange(1, len(curve) + 1), np.maximum(curve, 1e-16))
    ax.set_xlabel("iteration")
    ax.set_ylabel("exploitability")
    ax.set_title(f"{label}: {result.method}", fontsize=9)
    fig.tight_layout()
    import os
    import tempfile

    target = Path(path)
    try:  # written beside the target and renamed: an interrupted run leaves no partial figure
        handle, temporary = tempfile.mkstemp(suffix=suffix, dir=target.parent if str(target.parent) else ".")
        os.close(handle)
        fig.savefig(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        raise GameError(f"--plot: cannot write {path!r}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
        if "temporary" in locals() and os.path.exists(temporary):
            os.unlink(temporary)


__all__ = ["cmd_mfg", "mean_field_result_to_json", "mean_field_result_to_table", "parse_assignments",
           "stationary_result_to_json", "stationary_result_to_table"]
