"""Search on perfect-information game trees: minimax, alpha-beta, expectiminimax and backward induction.

Every solver needs perfect information (each information set is a single node); chance nodes are allowed where
named. Values are payoff vectors ``[n_players]``; a **pure behaviour profile** (flat ``[n_infoset_actions]``, see
:mod:`equilibria.games.extensive_form`) records the chosen action at every decision node, and the result is
certified by its exploitability (:func:`equilibria.solvers._extensive.behaviour_result`).

- **Backward induction** (Zermelo 1913; Kuhn 1953; Selten 1965): each mover picks the child that is best for
  itself, chance nodes average their children; the resulting profile is a subgame-perfect equilibrium of an
  n-player game. Ties go to the lowest action index.
- **Minimax** (von Neumann 1928) is backward induction in a two-player zero-sum game without chance: player 0
  maximises its payoff, player 1 minimises it. **Expectiminimax** (Michie 1966) adds chance nodes, valued by their
  expectation.
- **Alpha-beta** (Knuth and Moore 1975) returns the minimax (expectiminimax) value while skipping subtrees that
  cannot change it. It searches depth-first with a window ``(alpha, beta)`` and is fail-soft: a returned ``g`` with
  ``g <= alpha`` is an upper bound on the node's value, ``g >= beta`` a lower bound, and in between the exact
  value. Chance nodes search every child with the full window (no pruning at chance nodes, so child values are
  exact). The recorded best child at each searched node makes a minimax profile: a player's choices on its proof
  tree guarantee the root value, and its opponent's replies there were all searched. Unsearched nodes play their
  first action.

**Move ordering for alpha-beta** (``ordering="static"``, the default): a cheap static evaluation that needs no
game knowledge -- children that end the game are tried first, best for the mover first (their value is known
without search, and an immediate win gives the earliest cutoff), then the other children in action order; ties keep
action order. ``ordering="none"`` searches in action order. Either way alpha-beta visits a subset of the nodes
minimax visits and returns the same root value. On tic-tac-toe (549,946 nodes, value 0) alpha-beta visits 18,297
nodes in action order and 7,956 with the static ordering.

**Implementation.** The full-tree solvers make one bottom-up pass over the breadth-first numbering (children come
after their parents, so the nodes in decreasing order see every child first), as a compiled loop (numba): linear in
the tree's size whatever its shape -- tic-tac-toe's 549,946 nodes or a chain of 10**5 moves take milliseconds. The
budget is checked between blocks of ``_BLOCK`` nodes. Alpha-beta is sequential and runs an explicit stack (no Python
recursion limit). ``trace=True`` makes every solver search depth-first and record the events of the search.

**Trace.** A list of small frozen events -- :class:`Visit` (a node is entered, with the window for alpha-beta),
:class:`Backup` (a node's value is final, with the chosen action and whether it is exact or a bound) and
:class:`Cutoff` (the window closed: the remaining children are pruned) -- in search order, each renderable as one
line (:func:`format_trace`) or a dict (``as_dict()``) for animation.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from equilibria.core.compiled import interpreted_if, jit_leaf
from equilibria.core.errors import GameError, NotApplicableError
from equilibria.core.result import SolveResult
from equilibria.games.extensive_form import CHANCE, TERMINAL, ExtensiveFormGame
from equilibria.solvers._common import Budget
from equilibria.solvers._extensive import behaviour_result, require_extensive_form

Ordering = Literal["static", "none"]
Bound = Literal["exact", "lower", "upper"]
# Alpha-beta looks at the clock once per this many visited nodes; the full-tree pass once per block of nodes.
_CLOCK_EVERY = 4096
_BLOCK = 1 << 16


# -- trace events ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """The search enters ``node`` (at ``depth``); ``alpha``/``beta`` are alpha-beta's window (None otherwise)."""

    kind: ClassVar[str] = "visit"
    node: int
    depth: int
    alpha: float | None = None
    beta: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Backup:
    """``node``'s value is final: ``value[i]`` is player ``i``'s payoff, ``action`` the chosen move (None at
    terminal and chance nodes); ``bound`` is ``"exact"``, ``"lower"`` (the value is at least player 0's
    ``value[0]``: alpha-beta failed high) or ``"upper"`` (at most: failed low)."""

    kind: ClassVar[str] = "backup"
    node: int
    value: tuple[float, ...]
    action: int | None = None
    bound: Bound = "exact"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Cutoff:
    """At ``node`` the window closed (``alpha >= beta``): the children ``pruned`` are not searched."""

    kind: ClassVar[str] = "cutoff"
    node: int
    alpha: float
    beta: float
    pruned: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


TraceEvent = Visit | Backup | Cutoff


def format_trace(events: Sequence[TraceEvent], game: ExtensiveFormGame) -> list[str]:
    """One line per event, indented by the node's depth (for the command line)."""
    if not isinstance(game, ExtensiveFormGame):
        raise GameError(f"format_trace(game): expected an ExtensiveFormGame, got {type(game).__name__}")
    scalar = game.n_players == 2 and game.is_zero_sum()
    depth = game.depth
    lines = []
    for event in events:
        if not isinstance(event, Visit | Backup | Cutoff):
            raise GameError(f"format_trace(events): expected Visit, Backup or Cutoff events, got "
                            f"{type(event).__name__}")
        if not 0 <= event.node < game.n_nodes:
            raise GameError(f"format_trace(events): node {event.node} is not a node of the game")
        indent = "  " * int(depth[event.node])
        lines.append(indent + _describe(event, game, scalar))
    return lines


def _node_name(game: ExtensiveFormGame, node: int) -> str:
    label = game.node_labels[node] if node < len(game.node_labels) else ""
    return f"node {node}" + (f" {label!r}" if label else "")


def _role(game: ExtensiveFormGame, node: int, scalar: bool) -> str:
    mover = int(game.player[node])
    if mover == TERMINAL:
        return "terminal"
    if mover == CHANCE:
        return "chance"
    name = game.player_labels[mover] if game.player_labels else f"player {mover}"
    return f"{name}, {'max' if mover == 0 else 'min'}" if scalar else name


def _number(x: float) -> str:
    return "+inf" if x == math.inf else "-inf" if x == -math.inf else f"{x + 0.0:.6g}"  # + 0.0: no "-0"


def _describe(event: TraceEvent, game: ExtensiveFormGame, scalar: bool) -> str:
    node = event.node
    if isinstance(event, Visit):
        window = ("" if event.alpha is None or event.beta is None
                  else f" window [{_number(event.alpha)}, {_number(event.beta)}]")
        return f"visit {_node_name(game, node)} ({_role(game, node, scalar)}){window}"
    if isinstance(event, Backup):
        value = _number(event.value[0]) if scalar else "(" + ", ".join(_number(v) for v in event.value) + ")"
        relation = {"exact": "=", "lower": ">=", "upper": "<="}[event.bound]
        via = ""
        if event.action is not None:
            infoset = int(game.infoset[node])
            via = f" via {game.action_labels[infoset][event.action]!r}"
        return f"back up {_node_name(game, node)} {relation} {value}{via}"
    pruned = ", ".join(_node_name(game, k) for k in event.pruned)
    return (f"cutoff at {_node_name(game, node)}: alpha {_number(event.alpha)} >= beta {_number(event.beta)}, "
            f"prune {pruned}")


# -- the solvers -----------------------------------------------------------------------------------------------


def minimax_solve(game: Any, *, trace: bool = False, max_seconds: float | None = None) -> SolveResult:
    """Minimax value and strategies of a two-player zero-sum perfect-information game without chance.

    Returns a SolveResult with one pure behaviour profile (subgame perfect; ties: lowest action);
    ``parameters``: ``value`` (``[n_players]`` at the root), ``nodes_visited``, ``trace`` (events or None).
    """
    budget = Budget.checked(None, max_seconds, "minimax_solve")  # from the start: checking the game takes time too
    caller = "minimax_solve(game)"
    game = _require_perfect_information(game, caller, zero_sum=True)
    if game.has_chance:
        raise NotApplicableError(f"{caller}: the game has chance nodes; use expectiminimax_solve (or "
                                 f"alphabeta_solve, which handles chance) instead")
    with _interpreted_if_small(game):
        return _full_search(game, "minimax", _zero_sum_utilities(game), trace, budget)


def expectiminimax_solve(game: Any, *, trace: bool = False, max_seconds: float | None = None) -> SolveResult:
    """Expectiminimax: minimax with chance nodes valued by their expectation (two-player zero-sum).

    Same result layout as :func:`minimax_solve`.
    """
    budget = Budget.checked(None, max_seconds, "expectiminimax_solve")
    game = _require_perfect_information(game, "expectiminimax_solve(game)", zero_sum=True)
    with _interpreted_if_small(game):
        return _full_search(game, "expectiminimax", _zero_sum_utilities(game), trace, budget)


def backward_induction_solve(game: Any, *, trace: bool = False, max_seconds: float | None = None) -> SolveResult:
    """The subgame-perfect equilibrium of an n-player perfect-information game found by backward induction.

    Each mover maximises its own payoff, chance nodes average; ties go to the lowest action index. Same result
    layout as :func:`minimax_solve`.
    """
    budget = Budget.checked(None, max_seconds, "backward_induction_solve")
    game = _require_perfect_information(game, "backward_induction_solve(game)", zero_sum=False)
    with _interpreted_if_small(game):
        return _full_search(game, "backward_induction", np.asarray(game.payoffs, dtype=float), trace, budget)


def alphabeta_solve(game: Any, *, ordering: Ordering = "static", trace: bool = False,
                    max_seconds: float | None = None) -> SolveResult:
    """Alpha-beta search (fail-soft, with move ordering) of a two-player zero-sum perfect-information game.

    Chance nodes are allowed (searched with the full window). Returns the minimax value and a minimax pure
    behaviour profile (see the module docstring); ``parameters``: ``value``, ``nodes_visited``, ``cutoffs``,
    ``ordering``, ``trace``. On ``max_seconds`` the result is empty with ``converged=False``.
    """
    budget = Budget.checked(None, max_seconds, "alphabeta_solve")
    game = _require_perfect_information(game, "alphabeta_solve(game)", zero_sum=True)
    if ordering not in ("static", "none"):
        raise GameError(f"alphabeta_solve(ordering): expected 'static' or 'none', got {ordering!r}")
    if not isinstance(trace, bool):
        raise GameError(f"alphabeta_solve(trace): expected True or False, got {trace!r}")
    with _interpreted_if_small(game):
        return _alphabeta(game, ordering, trace, budget)


def _alphabeta(game: ExtensiveFormGame, ordering: Ordering, trace: bool, budget: Budget) -> SolveResult:
    search = _DepthFirst(game, _zero_sum_utilities(game), prune=True, ordering=ordering, trace=trace,
                         budget=budget)
    finished = search.run()
    parameters: dict[str, Any] = {
        "value": tuple(float(v) + 0.0 for v in search.root_value) if finished else None,
        "nodes_visited": search.visited, "cutoffs": search.cutoffs, "ordering": ordering,
        "trace": tuple(search.events) if trace else None, "max_seconds": budget.max_seconds}
    if not finished:
        parameters["stopped_because"] = f"{budget.stop_reason(0)} after {search.visited} nodes"
    profiles = [_pure_profile(game, search.choice)] if finished else []
    return behaviour_result(game, "alphabeta", profiles, parameters=parameters, iterations=search.visited,
                            budget=budget, converged=finished)


# -- shared pieces ---------------------------------------------------------------------------------------------

# Trees up to this many nodes are searched and certified interpreted while numba is not loaded yet: a sweep and
# the exploitability passes cost about a microsecond per node as Python, loading numba and the compiled passes
# half a second (equilibria.core.compiled.prefer_interpreted).
_INTERPRETED_MAX_NODES = 5_000


def _interpreted_if_small(game: ExtensiveFormGame) -> contextlib.AbstractContextManager[None]:
    return interpreted_if(game.n_nodes <= _INTERPRETED_MAX_NODES)



def _require_perfect_information(game: Any, caller: str, *, zero_sum: bool) -> ExtensiveFormGame:
    checked = require_extensive_form(game, caller, players=2 if zero_sum else None)
    if zero_sum and not checked.is_zero_sum():
        raise NotApplicableError(f"{caller}: needs a zero-sum game (payoffs summing to 0 at every terminal); use "
                                 f"backward_induction_solve for general-sum perfect-information games")
    if not checked.is_perfect_information:
        sizes = np.bincount(checked.infoset[checked.infoset >= 0], minlength=checked.n_infosets)
        widest = int(np.argmax(sizes))
        raise NotApplicableError(
            f"{caller}: needs perfect information, but information set {checked.infoset_labels[widest]!r} holds "
            f"{sizes[widest]} nodes; use sequence_form_lp_solve (two-player zero-sum) or cfr_solve instead")
    return checked


def _zero_sum_utilities(game: ExtensiveFormGame) -> np.ndarray:
    """``[n_nodes, 2]`` ``(u_0, -u_0)``: player 1 minimising player 0's payoff, exactly."""
    u0 = np.asarray(game.payoffs[:, 0], dtype=float)
    return np.stack([u0, -u0], axis=1)


def _pure_profile(game: ExtensiveFormGame, choice: np.ndarray) -> np.ndarray:
    """``[n_infoset_actions]`` the profile playing ``choice[k]`` at each decision node (action 0 where -1)."""
    policy = np.zeros(game.n_infoset_actions)
    decision = np.flatnonzero(game.player >= 0)
    actions = np.maximum(choice[decision], 0)
    policy[game.infoset_action_offset[game.infoset[decision]] + actions] = 1.0
    return policy


def _full_search(game: ExtensiveFormGame, method: str, utilities: np.ndarray, trace: bool,
                 budget: Budget) -> SolveResult:
    """Backward induction on ``utilities`` (level sweep, or depth-first when tracing); ``budget`` started with the
    solver's call."""
    if not isinstance(trace, bool):
        raise GameError(f"{method}_solve(trace): expected True or False, got {trace!r}")
    events: tuple[TraceEvent, ...] | None = None
    if trace:
        search = _DepthFirst(game, utilities, prune=False, ordering="none", trace=True, budget=budget)
        finished = search.run()
        root, choice, events = search.root_value, search.choice, tuple(search.events)
        swept: tuple[np.ndarray, np.ndarray] | str = f"{budget.stop_reason(0)} after {search.visited} nodes"
    else:
        swept = _level_sweep(game, utilities, budget)
        finished = not isinstance(swept, str)
        root, choice = (np.zeros(0), np.zeros(0, int)) if isinstance(swept, str) else (swept[0][0], swept[1])
    parameters: dict[str, Any] = {"value": tuple(float(v) + 0.0 for v in root) if finished else None,
                                  "nodes_visited": game.n_nodes if finished else 0, "trace": events,
                                  "max_seconds": budget.max_seconds}
    if not finished:
        assert isinstance(swept, str)
        parameters["stopped_because"] = swept
    profiles = [_pure_profile(game, choice)] if finished else []
    return behaviour_result(game, method, profiles, parameters=parameters, iterations=game.n_nodes,
                            budget=budget, converged=finished)


def _level_sweep(game: ExtensiveFormGame, utilities: np.ndarray,
                 budget: Budget) -> tuple[np.ndarray, np.ndarray] | str:
    """``(values [n_nodes, n_players], choice [n_nodes])`` by one bottom-up pass over the nodes, or why it
    stopped when the budget ran out (one line). ``choice`` is the chosen child's index at decision nodes (-1
    elsewhere)."""
    values = np.ascontiguousarray(np.where((game.player == TERMINAL)[:, None], utilities, 0.0))
    choice = np.full(game.n_nodes, -1, dtype=np.int64)
    induction = _induction_kernel()
    # Writable C-contiguous copies where the game's arrays are not: one argument type for every game, so that the
    # kernel is compiled (or loaded from the disk cache) once.
    first_child = np.require(game.first_child, np.int64, ["C", "W"])
    n_children = np.require(game.n_children, np.int64, ["C", "W"])
    player = np.require(game.player, np.int64, ["C", "W"])
    chance_prob = np.require(game.chance_prob, np.float64, ["C", "W"])
    if budget.max_seconds is not None and not _LOADED:
        # A first compilation takes seconds and loading from the disk cache tenths, inside the first call: have
        # it done before, within the budget (equilibria.core.compiled.ensure_compiled).
        from equilibria.core.compiled import ensure_compiled

        compilation = ensure_compiled(induction, first_child, n_children, player, chance_prob, values, choice, 0, 0,
                                      timeout=max(0.0, budget.max_seconds - budget.elapsed()))
        if not compilation.ready:
            return f"max_seconds={budget.max_seconds:g} reached while compiling: {compilation.note}"
        if compilation.loaded:
            _LOADED.append(True)
    for hi in range(game.n_nodes, 0, -_BLOCK):
        if budget.exhausted(0):
            return f"{budget.stop_reason(0)} after {game.n_nodes - hi} of {game.n_nodes} nodes"
        induction(first_child, n_children, player, chance_prob, values, choice, max(0, hi - _BLOCK), hi)
    return values, choice


_LOADED: list[bool] = []  # non-empty once the induction kernel is loaded for the sweep's (only) argument types


def _induction_loops(first_child: np.ndarray, n_children: np.ndarray, player: np.ndarray, chance_prob: np.ndarray,
                     values: np.ndarray, choice: np.ndarray, lo: int, hi: int) -> None:
    """Nodes ``hi - 1`` down to ``lo`` (their children done): a mover takes its best child's row of ``values``
    (the lowest among equals), a chance node the expectation of its children's."""
    players = values.shape[1]
    for k in range(hi - 1, lo - 1, -1):
        count = n_children[k]
        if count == 0:
            continue
        first = first_child[k]
        mover = player[k]
        if mover >= 0:
            best = first
            for c in range(first + 1, first + count):
                if values[c, mover] > values[best, mover]:
                    best = c
            for i in range(players):
                values[k, i] = values[best, i]
            choice[k] = best - first
        else:
            for i in range(players):
                total = chance_prob[first] * values[first, i]
                for c in range(first + 1, first + count):
                    total += chance_prob[c] * values[c, i]
                values[k, i] = total


def _induction_kernel() -> Callable[..., None]:
    """:func:`_induction_loops` compiled as a leaf (cached on disk, on first use): the module global, the dispatcher
    itself once numba is loaded."""
    return _induction


_induction = jit_leaf(_induction_loops)


class _OutOfTime(Exception):
    """The depth-first search ran out of its time budget."""


@dataclass
class _Frame:
    """One node on the depth-first stack."""

    node: int
    alpha: float
    beta: float
    order: list[int]
    entered: tuple[float, float] = (-math.inf, math.inf)  # the window the node was entered with
    next: int = 0
    best: np.ndarray | None = None
    best_action: int = -1
    total: np.ndarray | None = None  # chance nodes: the running expectation


class _DepthFirst:
    """Depth-first search over the tree with an explicit stack: full backward induction (``prune=False``) or
    fail-soft alpha-beta on player 0's payoff (``prune=True``, two players, ``utilities = (u_0, -u_0)``)."""

    def __init__(self, game: ExtensiveFormGame, utilities: np.ndarray, *, prune: bool, ordering: Ordering,
                 trace: bool, budget: Budget) -> None:
        self.game, self.utilities, self.prune, self.ordering = game, utilities, prune, ordering
        self.budget, self.tracing = budget, trace
        self.events: list[TraceEvent] = []
        self.choice = np.full(game.n_nodes, -1, dtype=np.int64)
        self.visited = 0
        self.cutoffs = 0
        self.root_value = np.zeros(utilities.shape[1])
        self.depth = 0

    def run(self) -> bool:
        """Search from the root; False when the budget ran out."""
        stack: list[_Frame] = []
        try:
            returned = self._search(stack)
        except _OutOfTime:
            return False
        self.root_value = returned
        return True

    def _search(self, stack: list[_Frame]) -> np.ndarray:
        returned = self._enter(0, -math.inf, math.inf, stack)
        while stack:
            frame = stack[-1]
            if returned is not None:
                self._absorb(frame, returned)
                returned = None
                if self.prune and frame.alpha >= frame.beta and frame.next < len(frame.order):
                    self._cut(frame)
            if frame.next < len(frame.order):
                child = frame.order[frame.next]
                frame.next += 1
                alpha, beta = ((frame.alpha, frame.beta) if self.game.player[frame.node] >= 0
                               else (-math.inf, math.inf))  # chance: every child exactly
                returned = self._enter(child, alpha, beta, stack)
            else:
                stack.pop()
                returned = self._finish(frame)
        assert returned is not None
        return returned

    # -- one node --------------------------------------------------------------------------------------------
    def _enter(self, node: int, alpha: float, beta: float, stack: list[_Frame]) -> np.ndarray | None:
        """Visit ``node``: a terminal's value is returned at once, an inner node is pushed (None)."""
        self.visited += 1
        if self.visited % _CLOCK_EVERY == 0 and self.budget.exhausted(0):
            raise _OutOfTime
        game = self.game
        if self.tracing:
            window = (alpha, beta) if self.prune else (None, None)
            self.events.append(Visit(node, int(game.depth[node]), *window))
        if game.player[node] == TERMINAL:
            value = self.utilities[node]
            if self.tracing:
                self.events.append(Backup(node, tuple(float(v) + 0.0 for v in value)))
            return value
        stack.append(_Frame(node, alpha, beta, self._order(node), entered=(alpha, beta)))
        return None

    def _order(self, node: int) -> list[int]:
        """The children in search order (module docstring: terminal children first, best for the mover first)."""
        game = self.game
        first = int(game.first_child[node])
        children = list(range(first, first + int(game.n_children[node])))
        mover = int(game.player[node])
        if self.ordering == "none" or mover < 0:
            return children
        ends = [k for k in children if game.player[k] == TERMINAL]
        ends.sort(key=lambda k: -float(self.utilities[k, mover]))  # stable: ties keep action order
        return ends + [k for k in children if game.player[k] != TERMINAL]

    def _absorb(self, frame: _Frame, value: np.ndarray) -> None:
        """Take a child's returned value into its parent's frame (best so far, window, expectation)."""
        game = self.game
        node = frame.node
        child = frame.order[frame.next - 1]
        mover = int(game.player[node])
        if mover == CHANCE:
            weighted = game.chance_prob[child] * value
            frame.total = weighted if frame.total is None else frame.total + weighted
            return
        if frame.best is None or value[mover] > frame.best[mover]:
            frame.best, frame.best_action = value, child - int(game.first_child[node])
        if self.prune:
            if mover == 0:
                frame.alpha = max(frame.alpha, float(frame.best[0]))
            else:
                frame.beta = min(frame.beta, float(frame.best[0]))

    def _cut(self, frame: _Frame) -> None:
        pruned = tuple(frame.order[frame.next:])
        self.cutoffs += 1
        if self.tracing:
            self.events.append(Cutoff(frame.node, frame.alpha, frame.beta, pruned))
        frame.next = len(frame.order)

    def _finish(self, frame: _Frame) -> np.ndarray:
        """The node's value once its children are done (or cut off), with its trace event."""
        game = self.game
        node = frame.node
        action: int | None = None
        if game.player[node] == CHANCE:
            assert frame.total is not None
            value = frame.total
        else:
            assert frame.best is not None
            value, action = frame.best, frame.best_action
            self.choice[node] = action
        if self.tracing:
            self.events.append(Backup(node, tuple(float(v) + 0.0 for v in value), action, self._bound(frame, value)))
        return value

    def _bound(self, frame: _Frame, value: np.ndarray) -> Bound:
        """Fail-soft classification against the window the node was entered with."""
        if not self.prune or self.game.player[frame.node] == CHANCE:
            return "exact"
        if value[0] <= frame.entered[0]:
            return "upper"
        if value[0] >= frame.entered[1]:
            return "lower"
        return "exact"
