"""Incentive compatibility of elicitation: is telling the truth a rater's best reply? Measured as the gain of the best
misreport (0 when the mechanism is incentive compatible), computed exactly wherever a closed form or a finite set of
candidate reports exists, never by grid search.

Three settings, one certificate (the gain from the best misreport over truth):

* **Scoring rules** for a probability report ``q`` over ``K`` outcomes when the rater believes ``p`` (both ``[K]``
  on the simplex). ``S(q, k)`` is the score when outcome ``k`` occurs; the expected score is
  ``E(p, q) = sum_k p_k S(q, k)``. Logarithmic ``log q_k``, quadratic (Brier) ``2 q_k - ||q||^2`` and spherical
  ``q_k / ||q||`` are strictly proper (``q = p`` is the unique maximiser); the linear rule ``q_k`` is improper: its
  best report puts all mass on an outcome of largest ``p_k`` and gains ``max_k p_k - ||p||^2``, which is > 0 exactly
  when ``p`` is not uniform on its support (``sum_k p_k (max p - p_k)`` vanishes only then). The truthful loss of a
  report ``q`` (``E(p, p) - E(p, q)``) has closed forms: ``KL(p || q)`` (log), ``||p - q||^2`` (Brier),
  ``||p|| - p.q / ||q||`` (spherical), ``p.p - p.q`` (linear).
* **Strategic raters on a one-dimensional score** in a report range ``[low, high]`` (default ``[0, 1]``): rater
  ``i`` has an ideal point ``x_i`` (``ideals: [n]``), the others report truthfully, the mechanism outputs ``f(r)``
  and rater ``i``'s utility is ``-|f(r) - x_i|`` (single-peaked). Mechanisms: the mean, the median (NumPy's: the
  average of the two middle reports when ``n`` is even), the lower median (the ``ceil(n/2)``-th smallest report) and
  Moulin's (1980) generalised median with ``n + 1`` phantom reports. As a function of one report ``t`` each output is
  continuous, non-decreasing and piecewise linear with kinks only where ``t`` crosses another report or a phantom; the
  utility adds one kink where ``f(t) = x_i``. The best report is therefore among the range's ends, those kinks and
  the solutions of ``f(t) = x_i`` on each linear piece: :func:`manipulation_gain` evaluates exactly these.
* **Peer prediction** for labels nobody can verify: two raters see signals ``k, l`` of one task drawn from a
  symmetric joint distribution ``joint: [K, K]`` (``P[k, l]``, summing to 1; marginal ``p = P.sum(1)``); on
  distinct tasks the signals are independent. A strategy maps a signal to a reported label (``[K]`` ints; truthful is
  ``arange(K)``). Output agreement pays 1 when the two reports on the shared task agree:
  ``u(s, t) = sum_{k,l} P[k, l] [s_k = t_l]``. The correlated agreement mechanism (Shnayder, Agarwal, Frongillo and
  Parkes 2016) pays ``T(r, r') = [Delta[r, r'] > 0]`` on the shared task minus ``T`` on two distinct tasks, with
  ``Delta = P - p p^T``: ``u(s, t) = sum_{k,l} Delta[k, l] T(s_k, t_l)``. Both payoffs are
  ``sum_{k,l} W[k, l] M[s_k, t_l]`` (output agreement: ``W = P, M = I``; CA: ``W = Delta, M = T``), separable in the
  rater's signals, so a best unilateral deviation is one ``argmax`` per signal (exact, no enumeration).

Everything here is NumPy (SciPy's optimiser only inside :func:`best_misreport` for user-defined scoring rules).
Bad input raises a one-line :class:`~equilibria.core.errors.GameError` naming the argument.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from equilibria.core.errors import GameError

# ----------------------------------------------------------------------------------------------- scoring rules


@dataclass(frozen=True)
class ScoringRule:
    """A scoring rule: ``score(q) -> [K]``, the score ``S(q, k)`` of report ``q: [K]`` for every outcome ``k``.

    ``proper`` / ``strictly_proper``: what is known of the rule (the built-ins'; a user's rule may leave both False).
    """

    name: str
    score: Callable[[np.ndarray], np.ndarray]
    proper: bool = False
    strictly_proper: bool = False


def _log_score(q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(q)


def _quadratic_score(q: np.ndarray) -> np.ndarray:
    return 2.0 * q - float(q @ q)


def _spherical_score(q: np.ndarray) -> np.ndarray:
    return q / float(np.linalg.norm(q))


def _linear_score(q: np.ndarray) -> np.ndarray:
    return q.astype(float)


SCORING_RULES: dict[str, ScoringRule] = {
    "logarithmic": ScoringRule("logarithmic", _log_score, True, True),
    "quadratic": ScoringRule("quadratic", _quadratic_score, True, True),
    "spherical": ScoringRule("spherical", _spherical_score, True, True),
    "linear": ScoringRule("linear", _linear_score, False, False),
}
_ALIASES = {"log": "logarithmic", "brier": "quadratic"}


def scoring_rule(rule: str | ScoringRule) -> ScoringRule:
    """The built-in rule called ``rule`` (``logarithmic``/``log``, ``quadratic``/``brier``, ``spherical``,
    ``linear``), or ``rule`` itself."""
    if isinstance(rule, ScoringRule):
        return rule
    key = _ALIASES.get(str(rule).lower(), str(rule).lower())
    if key not in SCORING_RULES:
        raise GameError(f"rule must be one of {sorted(SCORING_RULES)} or a ScoringRule, got {rule!r}")
    return SCORING_RULES[key]


def _distribution(x: Any, name: str, k: int | None = None) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1 or a.size < 2:
        raise GameError(f"{name} must be a 1-d probability vector over at least 2 outcomes, got shape {a.shape}")
    if k is not None and a.size != k:
        raise GameError(f"{name} must have {k} entries (as the belief), got {a.size}")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or abs(a.sum() - 1.0) > 1e-9:
        raise GameError(f"{name} must be finite, non-negative and sum to 1 (within 1e-9), got {a.tolist()}")
    return a


def expected_score(rule: str | ScoringRule, p: Any, q: Any) -> float:
    """``E(p, q) = sum_k p_k S(q, k)``: the expected score of report ``q: [K]`` under belief ``p: [K]``
    (outcomes of probability 0 contribute 0 even where their score is ``-inf``)."""
    r = scoring_rule(rule)
    p = _distribution(p, "p")
    q = _distribution(q, "q", p.size)
    s = np.asarray(r.score(q), dtype=float)
    return float(np.sum(np.where(p > 0, p * np.where(p > 0, s, 0.0), 0.0)))


def truthful_loss(rule: str | ScoringRule, p: Any, q: Any) -> float:
    """``E(p, p) - E(p, q)``: how much reporting ``q`` loses against the truth (>= 0 for a proper rule)."""
    return expected_score(rule, p, p) - expected_score(rule, p, q)


@dataclass(frozen=True)
class Misreport:
    """The best report under belief ``p`` and its certificate.

    ``gain = best_score - truthful_score`` (0 for a proper rule). ``method``: ``"exact"`` (closed form) or
    ``"numerical"``; a numerical ``gain`` is a lower bound on the true gain (``report`` attains it), and
    ``frank_wolfe_gap`` (``max_k dE/d(e_k - q)`` at ``report``, by forward differences) bounds the remaining
    improvement when the expected score is concave in ``q`` (log, Brier, linear); it certifies nothing otherwise.
    """

    report: np.ndarray
    gain: float
    truthful_score: float
    best_score: float
    method: str
    frank_wolfe_gap: float = 0.0


def best_misreport(rule: str | ScoringRule, p: Any, *, numerical: bool = False, starts: int = 8,
                   seed: int = 0) -> Misreport:
    """The report maximising the expected score over the simplex under belief ``p: [K]``.

    Built-in rules are exact (``numerical=False``): a strictly proper rule's maximiser is ``p`` itself; the linear
    rule's is the vertex of the first largest ``p_k``. Otherwise (a user's rule, or ``numerical=True`` to check the
    closed forms) SLSQP over the simplex from ``p``, the uniform report, every vertex's neighbourhood and ``starts``
    Dirichlet draws (``seed``); the vertices themselves are evaluated exactly as candidates too.
    """
    r = scoring_rule(rule)
    p = _distribution(p, "p")
    truthful = expected_score(r, p, p)
    if not numerical and r.name in SCORING_RULES and SCORING_RULES[r.name] is r:
        if r.strictly_proper:
            return Misreport(p.copy(), 0.0, truthful, truthful, "exact")
        vertex = np.zeros_like(p)
        vertex[int(np.argmax(p))] = 1.0
        # sum_k p_k (max p - p_k) is max p - ||p||^2 without the cancellation (a gain of 1e-300 stays > 0).
        gain = float(np.sum(p * (p.max() - p)))
        return Misreport(vertex, gain, truthful, truthful + gain, "exact")
    return _numerical_best(r, p, truthful, starts, seed)


def misreport_gain(rule: str | ScoringRule, p: Any) -> float:
    """The expected-score gain of the best misreport over the truthful report (0 for a proper rule)."""
    return best_misreport(rule, p).gain


def _safe_expected(r: ScoringRule, p: np.ndarray, q: np.ndarray) -> float:
    q = np.clip(q, 0.0, None)
    total = q.sum()
    if total <= 0:
        return -np.inf
    s = np.asarray(r.score(q / total), dtype=float)
    return float(np.sum(np.where(p > 0, p * np.where(p > 0, s, 0.0), 0.0)))


def _frank_wolfe_gap(r: ScoringRule, p: np.ndarray, q: np.ndarray, step: float = 1e-7) -> float:
    base = _safe_expected(r, p, q)
    slopes = []
    for k in range(p.size):
        vertex = np.zeros_like(q)
        vertex[k] = 1.0
        slopes.append((_safe_expected(r, p, q + step * (vertex - q)) - base) / step)
    return max(0.0, float(max(slopes)))


def _numerical_best(r: ScoringRule, p: np.ndarray, truthful: float, starts: int, seed: int) -> Misreport:
    from scipy.optimize import minimize

    k = p.size
    eye = np.eye(k)
    rng = np.random.default_rng(seed)
    initial = [p, np.full(k, 1.0 / k), *(0.9 * eye + 0.1 / k), *rng.dirichlet(np.ones(k), size=starts)]
    candidates = [p, *eye]

    def objective(q: np.ndarray) -> float:
        value = _safe_expected(r, p, q)
        # The optimiser needs finite numbers: a report giving an observed outcome probability 0 (log) is awful.
        return -value if np.isfinite(value) else 1e6

    for q0 in initial:
        out = minimize(objective, q0, method="SLSQP", bounds=[(0.0, 1.0)] * k,
                       constraints=({"type": "eq", "fun": lambda q: q.sum() - 1.0},),
                       options={"ftol": 1e-15, "maxiter": 500})
        q = np.clip(out.x, 0.0, None)
        if q.sum() > 0:
            candidates.append(q / q.sum())
    scores = [_safe_expected(r, p, q) for q in candidates]
    best = int(np.argmax(scores))
    report = candidates[best]
    return Misreport(report, max(scores[best] - truthful, 0.0), truthful, scores[best], "numerical",
                     _frank_wolfe_gap(r, p, report))


# ------------------------------------------------------------------------------------- one-dimensional reports


@dataclass(frozen=True)
class Aggregator:
    """A mechanism turning reports ``[n]`` into one score: ``kind`` is ``"mean"``, ``"median"`` (NumPy's),
    ``"lower_median"`` or ``"generalised_median"`` (the median of the reports and ``phantoms``)."""

    kind: str
    phantoms: tuple[float, ...] = ()

    def __call__(self, reports: np.ndarray) -> np.ndarray:
        """``reports: [..., n]`` -> outputs ``[...]``."""
        reports = np.asarray(reports, dtype=float)
        if self.kind == "mean":
            return reports.mean(axis=-1)
        if self.kind == "median":
            return np.median(reports, axis=-1)
        if self.kind == "lower_median":
            n = reports.shape[-1]
            return np.sort(reports, axis=-1)[..., (n - 1) // 2]
        phantoms = np.broadcast_to(np.asarray(self.phantoms, dtype=float), (*reports.shape[:-1], len(self.phantoms)))
        return np.median(np.concatenate([reports, phantoms], axis=-1), axis=-1)


def generalised_median(phantoms: Sequence[float]) -> Aggregator:
    """Moulin's generalised median: the median of the ``n`` reports and ``n + 1`` fixed ``phantoms`` (so ``2n + 1``
    values, an odd number). Strategy-proof for single-peaked raters for any phantoms; ``uniform_phantoms(n)``
    gives the phantoms ``0, 1/n, ..., 1`` (a mechanism between the median and the mean)."""
    values = tuple(float(x) for x in phantoms)
    if len(values) < 1 or not all(np.isfinite(values)):
        raise GameError(f"phantoms must be a non-empty sequence of finite numbers, got {list(phantoms)!r}")
    return Aggregator("generalised_median", values)


def uniform_phantoms(n: int, low: float = 0.0, high: float = 1.0) -> tuple[float, ...]:
    """``n + 1`` phantoms evenly spaced on ``[low, high]``."""
    return tuple(float(x) for x in np.linspace(low, high, n + 1))


def _aggregator(mechanism: str | Aggregator) -> Aggregator:
    if isinstance(mechanism, Aggregator):
        return mechanism
    name = str(mechanism).lower().replace("-", "_")
    if name not in ("mean", "median", "lower_median"):
        raise GameError("mechanism must be 'mean', 'median', 'lower_median' or generalised_median(phantoms), "
                        f"got {mechanism!r}")
    return Aggregator(name)


@dataclass(frozen=True)
class Manipulation:
    """Rater ``rater``'s best report against truthful others: the output it moves the mechanism to, the truthful
    output, and ``gain`` = utility at the best report minus utility when truthful (>= 0; 0: truth is a best
    reply)."""

    rater: int
    report: float
    outcome: float
    truthful_outcome: float
    gain: float


def _ideals(ideals: Any, low: float, high: float) -> np.ndarray:
    x = np.asarray(ideals, dtype=float)
    if x.ndim != 1 or x.size < 1:
        raise GameError(f"ideals must be a 1-d array of at least one ideal point, got shape {x.shape}")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise GameError(f"the report range [low, high] must be finite with low < high, got [{low}, {high}]")
    if not np.all(np.isfinite(x)) or np.any(x < low) or np.any(x > high):
        raise GameError(f"ideals must lie in the report range [{low:g}, {high:g}], got {x.tolist()}")
    return x


def manipulation_gain(mechanism: str | Aggregator, ideals: Any, i: int, *, low: float = 0.0,
                      high: float = 1.0) -> Manipulation:
    """Rater ``i``'s best report in ``[low, high]`` when the others (``ideals: [n]``) report their ideal points.

    Exact: the utility ``-|f(t) - x_i|`` is piecewise linear in the report ``t`` (see the module docstring), so its
    maximum over ``[low, high]`` is at a kink; every kink is a candidate (the ends, the other reports, the phantoms,
    the solutions of ``f(t) = x_i`` on each piece). Ties go to the truthful report.
    """
    x = _ideals(ideals, low, high)
    f = _aggregator(mechanism)
    n = x.size
    if not (isinstance(i, int | np.integer) and 0 <= int(i) < n):
        raise GameError(f"i must be a rater index in [0, {n}), got {i!r}")
    i = int(i)
    xi = float(x[i])
    knots = np.unique(np.clip(np.concatenate([[low, high, xi], np.delete(x, i), np.asarray(f.phantoms)]),
                              low, high))
    profiles = np.repeat(x[None, :], knots.size, axis=0)
    profiles[:, i] = knots
    outputs = f(profiles)
    extra = []
    for a, b, fa, fb in zip(knots[:-1], knots[1:], outputs[:-1], outputs[1:], strict=True):
        if fb != fa and min(fa, fb) <= xi <= max(fa, fb):
            extra.append(a + (xi - fa) * (b - a) / (fb - fa))
    if extra:
        more = np.repeat(x[None, :], len(extra), axis=0)
        more[:, i] = extra
        knots = np.concatenate([knots, np.asarray(extra)])
        outputs = np.concatenate([outputs, f(more)])
    utility = -np.abs(outputs - xi)
    truthful_outcome = float(f(x))
    truthful_utility = -abs(truthful_outcome - xi)
    best = int(np.argmax(utility))
    if utility[best] <= truthful_utility:
        return Manipulation(i, xi, truthful_outcome, truthful_outcome, 0.0)
    return Manipulation(i, float(knots[best]), float(outputs[best]), truthful_outcome,
                        float(utility[best] - truthful_utility))


def max_manipulation_gain(mechanism: str | Aggregator, ideals: Any, *, low: float = 0.0,
                          high: float = 1.0) -> Manipulation:
    """The largest :func:`manipulation_gain` over the raters (the first such rater on ties)."""
    x = _ideals(ideals, low, high)
    results = [manipulation_gain(mechanism, x, i, low=low, high=high) for i in range(x.size)]
    return max(results, key=lambda m: m.gain)


def mean_best_report(ideals: Any, i: int, *, low: float = 0.0, high: float = 1.0) -> float:
    """The mean's closed-form best report for rater ``i``: the one that puts the mean on ``x_i``, clipped to the
    range, ``clip(n x_i - sum_{j != i} x_j, low, high)``."""
    x = _ideals(ideals, low, high)
    return float(np.clip(x.size * x[i] - (x.sum() - x[i]), low, high))


# ----------------------------------------------------------------------------------------------- peer prediction


def _joint(joint: Any) -> np.ndarray:
    P = np.asarray(joint, dtype=float)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] < 2:
        raise GameError(f"joint must be a square [K, K] signal distribution with K >= 2, got shape {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0) or abs(P.sum() - 1.0) > 1e-9:
        raise GameError("joint must be finite, non-negative and sum to 1 (within 1e-9)")
    if not np.allclose(P, P.T, rtol=0.0, atol=1e-12):
        raise GameError("joint must be symmetric (raters are exchangeable), got P != P^T")
    if np.any(P.sum(axis=1) <= 0):
        raise GameError("joint: every signal must have positive probability (a zero row)")
    return P


def _payoff_kernel(mechanism: str, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(W, M)`` with payoff ``u(s, t) = sum_{k,l} W[k, l] M[s_k, t_l]``."""
    name = str(mechanism).lower().replace("-", "_")
    if name == "output_agreement":
        return P, np.eye(P.shape[0])
    if name == "correlated_agreement":
        p = P.sum(axis=1)
        delta = P - np.outer(p, p)
        # Round-off of an exact 0 must not turn into a positive score: Delta's entries are sums of products of
        # numbers of size <= 1, so anything below 1e-12 is treated as 0.
        return delta, (delta > 1e-12).astype(float)
    raise GameError(f"mechanism must be 'output_agreement' or 'correlated_agreement', got {mechanism!r}")


def _strategy(s: Any, k: int, name: str) -> np.ndarray:
    a = np.asarray(s)
    if a.shape != (k,) or not np.issubdtype(a.dtype, np.integer) or np.any(a < 0) or np.any(a >= k):
        raise GameError(f"{name} must be [K] labels in [0, {k}) (signal -> report), got {np.asarray(s).tolist()}")
    return a.astype(int)


def peer_payoff(mechanism: str, joint: Any, strategy: Any = None, peer: Any = None) -> float:
    """A rater's expected payment under ``mechanism`` (``"output_agreement"`` or ``"correlated_agreement"``)
    playing ``strategy: [K]`` against a peer playing ``peer: [K]`` (both truthful when None)."""
    P = _joint(joint)
    k = P.shape[0]
    s = np.arange(k) if strategy is None else _strategy(strategy, k, "strategy")
    t = np.arange(k) if peer is None else _strategy(peer, k, "peer")
    W, M = _payoff_kernel(mechanism, P)
    return float(np.sum(W * M[np.ix_(s, t)]))


def best_deviation(mechanism: str, joint: Any, peer: Any = None) -> tuple[np.ndarray, float]:
    """The best reply ``[K]`` to ``peer: [K]`` (truthful when None) and its payoff: one ``argmax`` per signal
    (the payoff is a sum over the rater's own signals); ties go to the truthful label, then the lowest."""
    P = _joint(joint)
    k = P.shape[0]
    t = np.arange(k) if peer is None else _strategy(peer, k, "peer")
    W, M = _payoff_kernel(mechanism, P)
    value = W @ M[:, t].T  # [signal, report]: sum_l W[k, l] M[r, t_l]
    reply = np.argmax(value, axis=1)
    truthful = value[np.arange(k), np.arange(k)]
    keep = truthful >= value[np.arange(k), reply]
    reply = np.where(keep, np.arange(k), reply)
    return reply, float(value[np.arange(k), reply].sum())


@dataclass(frozen=True)
class PeerPredictionReport:
    """Exact payoffs of one mechanism on one signal structure.

    ``truthful``: both truthful. ``uninformative[j]``: both always report label ``j``. ``deviation_gain``: the best
    unilateral deviation from the truthful profile (0: truth is an equilibrium) and ``best_reply`` that deviation.
    ``uninformative_deviation_gain``: the largest gain from deviating from an uninformative profile (0: each is an
    equilibrium). ``best_profile``: the largest payoff over all pairs of deterministic strategies (only for
    ``K <= 4``: ``K^(2K)`` pairs; None otherwise)."""

    mechanism: str
    truthful: float
    uninformative: tuple[float, ...]
    deviation_gain: float
    best_reply: tuple[int, ...]
    uninformative_deviation_gain: float
    best_profile: float | None


def peer_prediction(mechanism: str, joint: Any) -> PeerPredictionReport:
    """:class:`PeerPredictionReport` of ``mechanism`` on ``joint: [K, K]``, exactly."""
    P = _joint(joint)
    k = P.shape[0]
    truthful = peer_payoff(mechanism, P)
    reply, reply_value = best_deviation(mechanism, P)
    uninformative, gains = [], []
    for j in range(k):
        constant = np.full(k, j)
        value = peer_payoff(mechanism, P, constant, constant)
        uninformative.append(value)
        gains.append(best_deviation(mechanism, P, constant)[1] - value)
    best_profile = None
    if k <= 4:
        W, M = _payoff_kernel(mechanism, P)
        strategies = np.array(list(itertools.product(range(k), repeat=k)))  # [K^K, K]
        onehot = np.eye(k)[strategies]  # [S, signal, report]
        payoffs = np.einsum("akr,kl,bls,rs->ab", onehot, W, onehot, M, optimize=True)
        best_profile = float(payoffs.max())
    return PeerPredictionReport(str(mechanism), truthful, tuple(uninformative), max(reply_value - truthful, 0.0),
                                tuple(int(r) for r in reply), max(0.0, max(gains)), best_profile)


def symmetric_joint(prior: Any, agreement: float) -> np.ndarray:
    """A symmetric informative joint ``[K, K]``: with probability ``agreement`` the two raters see the same signal
    drawn from ``prior: [K]``, otherwise independent signals from ``prior``
    (``P = agreement diag(prior) + (1 - agreement) prior prior^T``)."""
    p = _distribution(prior, "prior")
    if not 0.0 <= float(agreement) <= 1.0:
        raise GameError(f"agreement must be in [0, 1], got {agreement!r}")
    a = float(agreement)
    return a * np.diag(p) + (1.0 - a) * np.outer(p, p)
