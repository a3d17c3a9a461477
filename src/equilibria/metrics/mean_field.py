"""The mean-field certificate: exploitability of a policy, and the population's welfare.

With ``mu = flow(game, pi)`` the flow the population induces when everyone plays ``pi``, the exploitability is

    ``exploitability(pi) = max_pi' J(pi', mu) - J(pi, mu)``,   ``J(pi, mu) = sum_s mu_0(s) V_0^{pi, mu}(s)``,

the gain of one (infinitesimal) agent deviating to its exact best response (backward induction) against the flow
that ``pi`` induces. It is non-negative and zero exactly at a mean-field Nash equilibrium. (OpenSpiel calls the same
number ``NashConv`` for mean-field games.) It is computed here from the game and the policy alone, independently of
every solver. :func:`exploitability` and :func:`social_welfare` validate their inputs and compute in float64;
:func:`exploitability_jax` is the pure JAX form (jit/vmap, the precision of its inputs) for curves and batches.
"""

from __future__ import annotations

import functools
from typing import Any

from equilibria.core.errors import GameError
from equilibria.games.mean_field import (
    MeanFieldGame,
    _check_step_outputs,
    _first_and_last_step,
    check_policy,
    flow,
    policy_and_best_values,
    validate,
)


def exploitability_jax(game: MeanFieldGame, policy: Any) -> Any:
    """``max_pi' J(pi', mu^pi) - J(pi, mu^pi)`` as a JAX scalar (pure: jit- and vmap-safe; no input checks).

    ``policy``: ``[T, S, A]``.
    """
    import jax.numpy as jnp

    values, best = policy_and_best_values(game, policy, flow(game, policy))
    return jnp.dot(jnp.asarray(game.initial, best.dtype), best[0] - values[0])


def _welfare_jax(game: MeanFieldGame, policy: Any) -> Any:
    import jax.numpy as jnp

    values, _ = policy_and_best_values(game, policy, flow(game, policy))
    return jnp.dot(jnp.asarray(game.initial, values.dtype), values[0])


def _with_checks(metric: Any) -> Any:
    def run(game: MeanFieldGame, policy: Any) -> tuple[Any, Any]:
        return metric(game, policy), _first_and_last_step(game)

    return run


@functools.cache
def _jitted(name: str) -> Any:
    """The metric and the game's validation outputs in one compiled program (one compilation per game structure)."""
    import jax

    return jax.jit(_with_checks({"exploitability": exploitability_jax, "welfare": _welfare_jax}[name]))


def _float64_call(name: str, game: MeanFieldGame, policy: Any) -> float:
    import jax
    import jax.numpy as jnp

    if not isinstance(game, MeanFieldGame):
        raise GameError(f"game: expected a MeanFieldGame, got {type(game).__name__}")
    pi = check_policy(game, policy)
    try:
        with jax.enable_x64(True):
            value, outputs = _jitted(name)(game, jnp.asarray(pi, jnp.float64))
    except Exception:
        validate(game)  # a malformed game fails here with a one-line GameError
        raise
    _check_step_outputs(game, outputs)
    return float(value)


def exploitability(game: MeanFieldGame, policy: Any) -> float:
    """The exploitability of ``policy`` ``[T, S, A]`` (module docstring), in float64; 0 at a mean-field Nash
    equilibrium. Raises :class:`~equilibria.core.errors.GameError` on a malformed game or policy."""
    return _float64_call("exploitability", game, policy)


def social_welfare(game: MeanFieldGame, policy: Any) -> float:
    """``J(pi, mu^pi)``: the population's average return when everyone plays ``policy`` ``[T, S, A]`` (float64);
    the numerator or denominator of a price of anarchy."""
    return _float64_call("welfare", game, policy)


__all__ = ["exploitability", "exploitability_jax", "social_welfare"]
