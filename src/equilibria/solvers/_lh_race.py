"""Racing the Lemke-Howson paths from every label: the first path to end wins (``initial_label=None``).

On random games the length of one path is heavy-tailed (at 500 x 500 the path from label 0 can take millions of
pivots while some label's path ends within a few). Label 0 gets a head start of ``_RACE_HEAD_START`` pivots per
label of the game; then the paths run in rounds, in label order, each round doubling the pivots a path may have
reached (``_RACE_FIRST``, twice that, ...). Deterministic; at most about ``4 (m + n)`` times the shortest path.
"""

from __future__ import annotations

import itertools

from equilibria.solvers._common import Budget
from equilibria.solvers._lh_paths import _follow, _Path, _Payoffs

_RACE_FIRST = 4  # racing: pivots per path in the first round; the rounds double it
_RACE_HEAD_START = _RACE_FIRST  # racing: label 0 first gets this many pivots per label of the game, on its own


def _race(payoffs: _Payoffs, budget: Budget, rational: bool, spent: int = 0, first: _Path | None = None
          ) -> tuple[str, int, _Path | None]:
    """Follow the paths from every label side by side; the first to end wins: ``(status, pivots, winner)``.

    Label 0 first runs alone for ``_RACE_HEAD_START`` pivots per label (so that a short path from label 0, the
    usual case on small games, costs no more than following label 0 alone). Then round ``r = 0, 1, ...`` brings
    every unfinished path, in label order, to ``_RACE_FIRST * 2**r`` pivots. The total work is within a small
    factor of (number of labels) x (the shortest path), which avoids the heavy tail of single path lengths on
    random games. Float paths that round-off stops drop out; when all have, the race is run again exactly.
    ``first``: label 0's path, when it was already started.
    """
    n_labels = sum(payoffs.shape)
    if first is None:
        first = payoffs.new_path(0, rational)
    status = _follow(first, budget, spent, _RACE_HEAD_START * n_labels)
    total = spent + first.pivots
    if status in ("done", "budget"):
        return status, total, first if status == "done" else None
    paths: dict[int, _Path] = {} if status == "numerical" else {0: first}
    dropped = {0} if status == "numerical" else set()
    for round_ in itertools.count():
        target = _RACE_FIRST << round_
        for label in range(n_labels):
            if label in dropped:
                continue
            path = paths.get(label)
            if path is None:
                path = paths[label] = payoffs.new_path(label, rational)
            if path.pivots >= target:
                continue
            before = path.pivots
            status = _follow(path, budget, total - before, target)
            total += path.pivots - before
            if status == "done":
                return status, total, path
            if status == "budget":
                return status, total, None
            if status == "numerical":
                dropped.add(label)
                del paths[label]
        if len(dropped) == n_labels:  # round-off stopped every float path
            return _race(payoffs, budget, True, total)
    raise AssertionError("unreachable")  # pragma: no cover


# Engines whose compiled code is known to be loaded, by (dense engine, payoffs C-contiguous): a small solve then pays
# a set lookup instead of ensure_compiled's typing of every argument (a tenth of a 10 x 10 solve). A game's payoffs
# are read-only float64 (NormalFormGame), so their layout is all that varies.
_LOADED: set[tuple[bool, bool]] = set()
