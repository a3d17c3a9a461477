"""The one result type every solver returns.

A :class:`SolveResult` records what was solved (``game``), how (``method``, ``parameters``), what was found
(``equilibria`` with their ``values``), how good each answer is (``certificate``), and what it cost
(``iterations``, ``seconds``, ``converged``).

The certificate is computed by :mod:`equilibria.metrics` from the game and the returned profile alone, never by the
solver's own bookkeeping, so a wrong solver cannot certify its own answer. ``certificate_name`` says which measure it
is: ``"max_regret"`` (Nash: the largest gain any player gets from a unilateral deviation), ``"ce_gap"`` /
``"cce_gap"`` (correlated / coarse correlated), ``"exploitability"`` (extensive form).

Profiles: for Nash solvers on normal-form games a profile is a tuple with one mixed strategy per player,
``profile[i]: [n_actions[i]]``. For correlated solvers it is the joint distribution ``[*n_actions]``. With
``rational=True`` the arrays have ``dtype=object`` and hold :class:`fractions.Fraction`, and certificates are exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Profile = Any  # tuple[np.ndarray, ...] for Nash profiles, np.ndarray for correlated distributions


@dataclass(frozen=True, init=False)
class SolveResult:
    """Outcome of any ``*_solve`` function.

    Attributes:
      game: the game that was solved.
      method: the solver's name, e.g. ``"lemke_howson"``.
      equilibria: the profiles found (possibly empty).
      values: per equilibrium, the expected payoff of each player, ``[n_players]``.
      certificate: per equilibrium, the quality measure named by ``certificate_name`` (0 is exact).
      certificate_name: ``"max_regret"``, ``"ce_gap"``, ``"cce_gap"`` or ``"exploitability"``.
      parameters: the solver's parameters, as given or defaulted.
      iterations: pivots, iterations or candidates examined; solver-specific, stated in the solver's docstring.
      seconds: wall-clock time spent.
      converged: False when the solver stopped on ``max_iterations``/``max_seconds`` or missed its tolerance;
        what it found so far is still returned.
      rational: True when profiles and certificates are exact fractions.
      complete: what an enumeration established: True when ``equilibria`` is proved to hold every equilibrium of
        the class the method enumerates (all extreme equilibria, all pure equilibria, all isolated equilibria of
        every support), False when it may miss some (a degenerate game, a budget that ran out, a solution set
        that is not finite), None for methods that look for one equilibrium.
    """

    game: Any
    method: str
    equilibria: tuple[Profile, ...]
    values: tuple[np.ndarray, ...]
    certificate: tuple[Any, ...]
    certificate_name: str
    parameters: Mapping[str, Any]
    iterations: int
    seconds: float
    converged: bool
    rational: bool
    complete: bool | None

    def __init__(self, game: Any, method: str, equilibria: tuple[Profile, ...], values: tuple[np.ndarray, ...],
                 certificate: tuple[Any, ...], certificate_name: str = "max_regret",
                 parameters: Mapping[str, Any] | None = None, iterations: int = 0, seconds: float = 0.0,
                 converged: bool = True, rational: bool = False, complete: bool | None = None) -> None:
        """The fields as documented above (``parameters`` None: an empty dict)."""
        if not (len(equilibria) == len(values) == len(certificate)):
            raise ValueError("SolveResult: equilibria, values and certificate must have one entry per equilibrium")
        # A frozen dataclass's own __init__ sets each field through object.__setattr__: about 1.5 us for these
        # eleven, a quarter of a whole Lemke-Howson solve on a 10 x 10 game. Filling __dict__ at once is the same.
        self.__dict__.update(
            game=game, method=method, equilibria=equilibria, values=values, certificate=certificate,
            certificate_name=certificate_name, parameters={} if parameters is None else parameters,
            iterations=iterations, seconds=seconds, converged=converged, rational=rational, complete=complete)

    def __len__(self) -> int:
        return len(self.equilibria)

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.equilibria)

    @property
    def equilibrium(self) -> Profile:
        """The first equilibrium found; raises ``LookupError`` when there is none."""
        if not self.equilibria:
            raise LookupError(f"{self.method}: no equilibrium was found (converged={self.converged})")
        return self.equilibria[0]

    @property
    def worst_certificate(self) -> float:
        """The largest certificate over all equilibria (``inf`` when none was found)."""
        return float(max(self.certificate)) if self.certificate else float("inf")

    def __repr__(self) -> str:
        return (
            f"SolveResult(method={self.method!r}, n_equilibria={len(self)}, "
            f"worst_{self.certificate_name}={self.worst_certificate:.3g}, converged={self.converged}, "
            f"iterations={self.iterations}, seconds={self.seconds:.3g}, rational={self.rational}"
            + ("" if self.complete is None else f", complete={self.complete}") + ")"
        )
