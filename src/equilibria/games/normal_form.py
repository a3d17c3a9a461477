"""Normal-form (strategic-form) games with any number of players.

Conventions (written once, here; every module follows them):

- **Payoffs are utilities to maximise.** A game with ``n`` players, player ``i`` having ``n_actions[i]`` pure
  actions, is the tensor ``payoffs: [n_players, *n_actions]``: ``payoffs[i, a_1, ..., a_n]`` is player ``i``'s
  utility when the players play actions ``a_1, ..., a_n``. A bimatrix game ``(A, B)`` is
  ``payoffs = stack([A, B])``: the row player (player 0) gets ``A[a, b]``, the column player gets ``B[a, b]``.
  (Differentiable games, later, are written as per-player *losses* as ML does; the conversion lives in one place
  there.)
- **A mixed profile** is a tuple with one probability vector per player, ``profile[i]: [n_actions[i]]``. A
  **correlated distribution** is one probability tensor over joint actions, ``[*n_actions]``.
- **Validation** happens in the constructor: payoffs must be real, finite, with ``n_players == payoffs.ndim - 1``
  and every player having at least one action. Problems raise :class:`equilibria.GameError` naming the argument.

A ``NormalFormGame`` is an immutable JAX pytree (the payoff tensor is its only leaf), so it can be passed through
``jax.jit`` and ``jax.vmap``.

**Exact payoffs.** Exact (rational) work uses :meth:`NormalFormGame.fraction_payoffs`: the game's own fractions when it
was built with ``exact_payoffs`` (a file's ``2/7`` or ``0.1`` as written, kept by the ``.nfg`` and JSON readers), else
each float's shortest decimal (:func:`equilibria.core.rational.to_fraction`). ``payoffs`` then holds the nearest
floats of the exact values, so float solvers and exact solvers see the same game. JAX transformations carry the
float tensor only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from equilibria.core.errors import GameError
from equilibria.core.pytrees import register_pytree_when_jax_loads
from equilibria.core.rational import to_fraction, to_fraction_array

if TYPE_CHECKING:
    from equilibria.games.differentiable import DifferentiableGame

MixedProfile = tuple[np.ndarray, ...]


def _as_payoff_array(payoffs: Any, argument: str) -> np.ndarray:
    try:
        arr = np.array(payoffs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise GameError(f"{argument}: expected a rectangular array of real numbers ({exc})") from None
    if arr.size == 0:
        raise GameError(f"{argument}: is empty; every player needs at least one action")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise GameError(f"{argument}: payoffs must be finite, found {arr[bad]} at index {bad}")
    return arr


def _fraction_array(values: Any, argument: str) -> np.ndarray:
    """``values`` (nested sequences or an array of Fractions, ints or number strings) as an object array of
    Fractions."""
    arr = np.array(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for index, value in np.ndenumerate(arr):
        if isinstance(value, bool) or not isinstance(value, Fraction | int | np.integer | str | float | np.floating):
            raise GameError(f"{argument}: expected exact numbers (Fractions, integers or strings like '2/7'), got "
                            f"{value!r} at index {index}")
        try:
            out[index] = (to_fraction(value) if isinstance(value, float | np.floating)
                          else Fraction(int(value)) if isinstance(value, np.integer) else Fraction(value))
        except (ValueError, ZeroDivisionError, OverflowError):
            raise GameError(f"{argument}: {value!r} at index {index} is not a finite number") from None
    return out


def _exact_payoff_array(exact: Any, floats: np.ndarray) -> np.ndarray:
    """The validated ``exact_payoffs``: Fractions of ``floats``' shape whose nearest floats are ``floats``."""
    out = _fraction_array(exact, "NormalFormGame.exact_payoffs")
    if out.shape != floats.shape:
        raise GameError(f"NormalFormGame.exact_payoffs: expected shape {floats.shape} (as payoffs), got {out.shape}")
    if not np.array_equal(np.asarray(out, dtype=float), floats):
        raise GameError("NormalFormGame.exact_payoffs: the float payoffs must be the nearest floats of the exact ones")
    out.setflags(write=False)
    return out


@register_pytree_when_jax_loads  # JAX only when a program imports it (core/pytrees.py)
@dataclass(frozen=True, eq=False)
class NormalFormGame:
    """An n-player normal-form game.

    Args:
      payoffs: ``[n_players, *n_actions]`` utilities, ``payoffs[i, a_1, ..., a_n]`` (see the module docstring).
      name: a label used in reports and files.
      action_labels: optional names of each player's actions, ``action_labels[i][a]``.
      player_labels: optional player names.
    """

    payoffs: np.ndarray
    name: str = ""
    action_labels: tuple[tuple[str, ...], ...] | None = None
    player_labels: tuple[str, ...] | None = None
    _validated: bool = field(default=True, repr=False, compare=False)
    exact_payoffs: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._validated:  # pytree unflattening inside jax transformations: leaves may be tracers
            return
        arr = _as_payoff_array(self.payoffs, "NormalFormGame.payoffs")
        if arr.ndim < 2:
            raise GameError(
                f"NormalFormGame.payoffs: expected shape [n_players, *n_actions] with n_players >= 1, got {arr.shape}"
            )
        if arr.shape[0] != arr.ndim - 1:
            raise GameError(
                f"NormalFormGame.payoffs: shape {arr.shape} has {arr.ndim - 1} action axes but {arr.shape[0]} "
                f"payoff slices; expected payoffs.shape[0] == number of players == payoffs.ndim - 1"
            )
        arr.setflags(write=False)
        object.__setattr__(self, "payoffs", arr)
        if self.exact_payoffs is not None:
            object.__setattr__(self, "exact_payoffs", _exact_payoff_array(self.exact_payoffs, arr))
        if self.action_labels is not None:
            labels = tuple(tuple(str(a) for a in player) for player in self.action_labels)
            if tuple(len(p) for p in labels) != self.n_actions:
                raise GameError(
                    f"NormalFormGame.action_labels: expected {self.n_actions} labels per player, "
                    f"got {tuple(len(p) for p in labels)}"
                )
            object.__setattr__(self, "action_labels", labels)
        if self.player_labels is not None:
            players = tuple(str(p) for p in self.player_labels)
            if len(players) != self.n_players:
                raise GameError(
                    f"NormalFormGame.player_labels: expected {self.n_players} names, got {len(players)}"
                )
            object.__setattr__(self, "player_labels", players)

    # -- pytree protocol -------------------------------------------------------------------------------------
    def tree_flatten(self) -> tuple[tuple[Any], tuple[Any, ...]]:
        return (self.payoffs,), (self.name, self.action_labels, self.player_labels)

    @classmethod
    def tree_unflatten(cls, aux: tuple[Any, ...], children: tuple[Any]) -> NormalFormGame:
        name, action_labels, player_labels = aux
        return cls(children[0], name, action_labels, player_labels, _validated=False)

    def fraction_payoffs(self) -> np.ndarray:
        """``[n_players, *n_actions]`` the payoffs as Fractions (object array): the exact values the game was built
        with, else each float's shortest decimal (see the module docstring). Read-only; computed once."""
        if self.exact_payoffs is not None:
            return self.exact_payoffs
        cached = self.__dict__.get("_fraction_cache")
        if cached is None:  # not a field: the game stays as built (its writers print floats as floats)
            cached = to_fraction_array(self.payoffs)
            cached.setflags(write=False)
            object.__setattr__(self, "_fraction_cache", cached)
        return cached

    @classmethod
    def from_fractions(cls, payoffs: Any, *, name: str = "", action_labels: Any = None,
                       player_labels: Any = None) -> NormalFormGame:
        """A game whose payoffs are exact numbers (Fractions, ints or decimal strings such as ``"2/7"``), kept
        exactly for ``rational=True``; the float tensor holds their nearest floats."""
        exact = _fraction_array(payoffs, "NormalFormGame.from_fractions(payoffs)")
        return cls(np.asarray(exact, dtype=float), name=name, action_labels=action_labels,
                   player_labels=player_labels, exact_payoffs=exact)

    # -- constructors ----------------------------------------------------------------------------------------
    @classmethod
    def bimatrix(cls, row: Any, column: Any, *, name: str = "", **labels: Any) -> NormalFormGame:
        """A two-player game: player 0 (rows) gets ``row[a, b]``, player 1 (columns) gets ``column[a, b]``."""
        a = _as_payoff_array(row, f"{cls.__name__}.bimatrix(row)")
        b = _as_payoff_array(column, f"{cls.__name__}.bimatrix(column)")
        if a.ndim != 2 or a.shape != b.shape:
            raise GameError(
                f"NormalFormGame.bimatrix: row and column must be matrices of the same shape, got {a.shape} "
                f"and {b.shape}"
            )
        return cls(np.stack([a, b]), name=name, **labels)

    @classmethod
    def zero_sum(cls, row: Any, *, name: str = "", **labels: Any) -> NormalFormGame:
        """A two-player zero-sum game: the row player gets ``row[a, b]``, the column player ``-row[a, b]``."""
        a = _as_payoff_array(row, "NormalFormGame.zero_sum(row)")
        if a.ndim != 2:
            raise GameError(f"NormalFormGame.zero_sum: row must be a matrix, got shape {a.shape}")
        return cls(np.stack([a, -a]), name=name, **labels)

    @classmethod
    def from_function(
        cls, payoff: Callable[[tuple[int, ...]], Sequence[float]], n_actions: Sequence[int], *, name: str = ""
    ) -> NormalFormGame:
        """Tabulate ``payoff(actions) -> [u_0, ..., u_{n-1}]`` over every pure profile."""
        shape = tuple(int(n) for n in n_actions)
        if not shape or min(shape) < 1:
            raise GameError(f"NormalFormGame.from_function: n_actions must be positive integers, got {n_actions!r}")
        table = np.empty((len(shape), *shape))
        for actions in itertools.product(*(range(n) for n in shape)):
            values = np.asarray(payoff(actions), dtype=float)
            if values.shape != (len(shape),):
                raise GameError(
                    f"NormalFormGame.from_function: payoff{actions} returned shape {values.shape}, "
                    f"expected ({len(shape)},)"
                )
            table[(slice(None), *actions)] = values  # type: ignore[index]
        return cls(table, name=name)

    # -- shape -----------------------------------------------------------------------------------------------
    @property
    def n_players(self) -> int:
        return int(self.payoffs.shape[0])

    @property
    def n_actions(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.payoffs.shape[1:])

    def payoff_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)`` of a two-player game."""
        self.require_players(2, "payoff_matrices")
        return self.payoffs[0], self.payoffs[1]

    def require_players(self, n: int, caller: str) -> None:
        if self.n_players != n:
            raise GameError(f"{caller}: needs a {n}-player game, got {self.n_players} players ({self.describe()})")

    def describe(self) -> str:
        label = f"{self.name}: " if self.name else ""
        return f"{label}{self.n_players} players, actions {'x'.join(map(str, self.n_actions))}"

    def is_constant_sum(self, tol: float = 1e-12) -> bool:
        total = self.payoffs.sum(axis=0)
        return bool(np.ptp(total) <= tol * max(1.0, float(np.abs(self.payoffs).max())))

    def is_zero_sum(self, tol: float = 1e-12) -> bool:
        return bool(np.all(np.abs(self.payoffs.sum(axis=0)) <= tol * max(1.0, float(np.abs(self.payoffs).max()))))

    # -- evaluation of mixed profiles ------------------------------------------------------------------------
    def check_profile(self, profile: Sequence[Any], caller: str = "profile", tol: float = 1e-6) -> MixedProfile:
        """Validate a mixed profile (one probability vector per player); returns it as arrays."""
        if len(profile) != self.n_players:
            raise GameError(f"{caller}: expected {self.n_players} strategies, got {len(profile)}")
        out = []
        for i, (s, n) in enumerate(zip(profile, self.n_actions, strict=True)):
            arr = np.asarray(s)
            exact = arr.dtype == object
            if arr.shape != (n,):
                raise GameError(f"{caller}: strategy of player {i} must have shape ({n},), got {arr.shape}")
            if not exact:
                arr = arr.astype(float)
                if not np.all(np.isfinite(arr)) or np.any(arr < -tol) or abs(arr.sum() - 1) > tol:
                    raise GameError(f"{caller}: strategy of player {i} is not a probability vector: {arr}")
            out.append(arr)
        return tuple(out)

    def action_values(self, profile: Sequence[Any], player: int) -> np.ndarray:
        """``[n_actions[player]]``: player's expected payoff of each pure action against the others' mixtures.

        Works with exact (object-dtype Fraction) strategies: the payoffs are converted to fractions then.
        """
        exact = any(np.asarray(s).dtype == object for s in profile)
        table = self.fraction_payoffs()[player] if exact else self.payoffs[player]
        # Contract the opponents' axes from the last to the first so axis numbers stay valid.
        for j in range(self.n_players - 1, -1, -1):
            if j != player:
                table = np.tensordot(table, np.asarray(profile[j]), axes=([j], [0]))
        return np.asarray(table)

    def expected_payoffs(self, profile: Sequence[Any]) -> np.ndarray:
        """``[n_players]``: each player's expected payoff under the mixed profile."""
        values = [np.dot(self.action_values(profile, i), np.asarray(profile[i])) for i in range(self.n_players)]
        exact = any(np.asarray(s).dtype == object for s in profile)
        return np.array(values, dtype=object if exact else float)

    def best_responses(self, profile: Sequence[Any], player: int, tol: float = 1e-9) -> np.ndarray:
        """Indices of ``player``'s pure best responses to the profile (ties within ``tol``, relative to the scale)."""
        values = self.action_values(profile, player)
        if values.dtype == object:
            best = max(values)
            return np.flatnonzero([v == best for v in values])
        return np.flatnonzero(values >= values.max() - tol * max(1.0, float(np.abs(self.payoffs).max())))

    def pure_profile(self, actions: Sequence[int]) -> MixedProfile:
        """The mixed profile that puts probability 1 on ``actions``.

        Each strategy is zeros with one entry set (a row of an identity matrix would build ``n x n`` floats per
        player: 7.28 TiB for 10^6 actions); indices follow numpy's rules as before (negative ones count from the
        end, others out of range raise IndexError).
        """
        profile = []
        for n, a in zip(self.n_actions, actions, strict=True):
            strategy = np.zeros(n)
            strategy[a] = 1.0
            profile.append(strategy)
        return tuple(profile)

    # -- pure equilibria and dominance -----------------------------------------------------------------------
    def pure_nash(self, tol: float = 0.0) -> list[tuple[int, ...]]:
        """Every pure-strategy Nash equilibrium, as action tuples, in lexicographic order.

        A profile is an equilibrium when each player's payoff is within ``tol`` of the best payoff over that
        player's own axis (vectorised over all profiles at once).
        """
        is_eq = np.ones(self.n_actions, dtype=bool)
        for i in range(self.n_players):
            best = self.payoffs[i].max(axis=i, keepdims=True)
            is_eq &= self.payoffs[i] >= best - tol
        return [tuple(int(a) for a in idx) for idx in np.argwhere(is_eq)]

    def restrict(self, kept: Sequence[Sequence[int]]) -> NormalFormGame:
        """The subgame in which player ``i`` may only play actions ``kept[i]``."""
        index = np.ix_(*[np.asarray(k, dtype=int) for k in kept])
        sub = np.stack([self.payoffs[i][index] for i in range(self.n_players)])
        labels = None
        if self.action_labels is not None:
            labels = tuple(tuple(self.action_labels[i][a] for a in k) for i, k in enumerate(kept))
        exact = None
        if self.exact_payoffs is not None:
            exact = np.stack([self.exact_payoffs[i][index] for i in range(self.n_players)])
        return NormalFormGame(sub, name=self.name, action_labels=labels, player_labels=self.player_labels,
                              exact_payoffs=exact)

    def eliminate_dominated(self, *, weak: bool = False, mixed: bool = True) -> tuple[NormalFormGame, tuple]:
        """Iterated elimination of dominated strategies.

        Args:
          weak: eliminate weakly dominated strategies (order-dependent: one action is removed per round, the
            lowest-indexed dominated one of the lowest-indexed player) instead of strictly dominated ones (all at
            once each round; the result does not depend on the order).
          mixed: also test domination by mixed strategies (an LP per action, solved with HiGHS).

        Returns:
          ``(reduced_game, kept)`` where ``kept[i]`` are the original indices of player ``i``'s surviving actions.
        """
        kept = [list(range(n)) for n in self.n_actions]
        while True:
            sub = self.restrict(kept)
            removed = False
            for i in range(self.n_players):
                dominated = [a for a in range(sub.n_actions[i]) if _is_dominated(sub, i, a, weak=weak, mixed=mixed)]
                if dominated and len(dominated) < sub.n_actions[i]:
                    if weak:
                        dominated = dominated[:1]
                    kept[i] = [k for j, k in enumerate(kept[i]) if j not in set(dominated)]
                    removed = True
                    if weak:
                        break
            if not removed:
                return self.restrict(kept), tuple(tuple(k) for k in kept)

    # -- the gradient world -----------------------------------------------------------------------------------
    def mixed_extension(self, parametrisation: str = "simplex") -> DifferentiableGame:
        """The game over mixed strategies as a :class:`~equilibria.games.differentiable.DifferentiableGame`.

        Player ``i``'s utility is its expected payoff, multilinear in the profile, so its gradient with respect
        to its own strategy is :meth:`action_values` (and ``xi_i = -action_values``: losses are negated
        utilities).

        Args:
          parametrisation: ``"simplex"``: ``params[i]: [n_actions[i]]`` is the mixed strategy itself, constrained
            to the probability simplex (projected dynamics, no-regret learners); ``"softmax"``: ``params[i]`` are
            unconstrained logits and the strategy is ``softmax(params[i])``.
        """
        import jax

        from equilibria.core.sets import Reals, Simplex
        from equilibria.games.differentiable import DifferentiableGame

        if parametrisation not in ("simplex", "softmax"):
            raise GameError(f"NormalFormGame.mixed_extension: parametrisation must be 'simplex' or 'softmax', "
                            f"got {parametrisation!r}")
        constraint = Simplex() if parametrisation == "simplex" else Reals()
        return DifferentiableGame.from_utilities(
            _ExpectedPayoffs(softmax=parametrisation == "softmax"), jax.numpy.asarray(self.payoffs),
            (constraint,) * self.n_players, name=self.name or "mixed extension")

    def __repr__(self) -> str:
        return f"NormalFormGame({self.describe()})"


@dataclass(frozen=True)
class _ExpectedPayoffs:
    """``[n_players]`` expected payoffs of a mixed profile (JAX), from ``payoffs: [n_players, *n_actions]``."""

    softmax: bool

    def __call__(self, payoffs: Any, params: tuple[Any, ...]) -> Any:
        import jax

        strategies = [jax.nn.softmax(p) if self.softmax else p for p in params]
        values = payoffs
        for s in strategies:  # each contraction removes the next player's axis, which is then axis 1
            values = jax.numpy.tensordot(values, s, axes=([1], [0]))
        return values

    def player_gradient(self, payoffs: Any, params: tuple[Any, ...], player: int) -> Any:
        """Closed form of ``d utility_player / d params[player]``: the action values (one contraction of the
        player's own payoff tensor; autodiff would contract every player's). Simplex parametrisation only."""
        if self.softmax:
            return None
        import jax

        values = payoffs[player]
        for j in range(len(params) - 1, -1, -1):  # last axis first, so the remaining axis numbers stay valid
            if j != player:
                values = jax.numpy.tensordot(values, params[j], axes=([j], [0]))
        return values


def _is_dominated(game: NormalFormGame, player: int, action: int, *, weak: bool, mixed: bool) -> bool:
    """Whether ``action`` of ``player`` is (strictly or weakly) dominated by another pure or mixed strategy."""
    utilities = np.moveaxis(game.payoffs[player], player, 0).reshape(game.n_actions[player], -1)
    target = utilities[action]
    others = np.delete(utilities, action, axis=0)
    if others.shape[0] == 0:
        return False
    diff = others - target
    better = diff > 0
    pure = np.any(np.all(diff >= 0, axis=1) & np.any(better, axis=1)) if weak else np.any(np.all(better, axis=1))
    if pure or not mixed or others.shape[0] < 2:
        return bool(pure)
    from scipy.optimize import linprog  # here: scipy.optimize costs a third of a second to import

    scale = max(1.0, float(np.abs(utilities).max()))
    n_other, n_columns = others.shape
    if not weak:
        # max eps s.t. sigma @ others >= target + eps, sigma in simplex; dominated iff eps > 0.
        c = np.zeros(n_other + 1)
        c[-1] = -1.0
        a_ub = np.hstack([-others.T, np.ones((n_columns, 1))])
        res = linprog(c, A_ub=a_ub, b_ub=-target, A_eq=np.hstack([np.ones((1, n_other)), [[0.0]]]), b_eq=[1.0],
                      bounds=[(0, None)] * n_other + [(None, None)], method="highs")
        return bool(res.status == 0 and -res.fun > 1e-9 * scale)
    # Weak: max total slack s.t. sigma @ others >= target; dominated iff some slack is positive.
    c = -(others - target).sum(axis=1)
    res = linprog(c, A_ub=-others.T, b_ub=-target, A_eq=np.ones((1, n_other)), b_eq=[1.0],
                  bounds=[(0, None)] * n_other, method="highs")
    return bool(res.status == 0 and -res.fun > 1e-9 * scale)
