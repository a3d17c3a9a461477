"""``equilibria irl maxent``: recover a reward from sampled demonstrations by (causal) max-ent IRL.

``equilibria irl maxent --mdp gridworld:SIZE|objectworld:SIZE --demonstrations N --seed S [--method mce|maxent]
[--horizon H] [--discount G] [--slip P] [--temperature T] [--l2 L] [--reward-model linear|mlp] [--iterations K]
[--max-seconds S] [--format table|json]``

The world is built from ``--seed`` (``worlds.gridworld``/``worlds.objectworld`` with ``--slip``, a finite horizon
``--horizon``, default ``2 * SIZE``, and ``--discount``, default 1); ``N`` demonstrations are sampled from the
Boltzmann-rational policy of the true reward at ``--temperature`` (JAX key ``--seed``), and the reward is fitted by
:func:`equilibria.applications.irl.maxent.maxent_irl` (``mce``: maximum causal entropy, Ziebart 2010; ``maxent``:
Ziebart et al. 2008). The L2 penalty (default 0.01) keeps one-hot rewards of unvisited states finite.

JSON (a stable contract; the first four keys are the issue's): ``{"evd", "log_likelihood", "reward": [S],
"true_reward": [S], "epic", "feature_expectation_gap" (the certificate), "converged", "stopped_because" (null when
converged), "iterations", "seconds", "method", "mdp", "states", "demonstrations", "seed", "theta" (linear model)}``.
``reward`` and ``true_reward`` are in state order (row-major cells for the grids). Every number is computed from the
returned reward by :mod:`equilibria.applications.irl.metrics`: EVD (true-optimal value minus the value of the policy
optimal for the learned reward, under the true reward), EPIC distance, mean log-likelihood per demonstration.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from equilibria.cli._common import EXIT_OK
from equilibria.core.errors import GameError

WORLDS = ("gridworld", "objectworld")
MAX_SIZE = 32  # a 32 x 32 grid has 1,024 states; transitions [S, 5, S] take 42 MB in float64
MAX_DEMONSTRATIONS = 1_000_000
_SPEC = re.compile(r"^\s*([A-Za-z_-]+)\s*:\s*([0-9]+)\s*$")


def parse_world(text: str) -> tuple[str, int]:
    """``gridworld:SIZE`` or ``objectworld:SIZE`` -> ``(name, size)``; anything else: a one-line GameError."""
    match = _SPEC.match(text)
    if match is None:
        raise GameError(f"--mdp: expected gridworld:SIZE or objectworld:SIZE, got {text!r}")
    name = match.group(1).lower().replace("-", "").replace("_", "")
    if name not in WORLDS:
        raise GameError(f"--mdp: unknown world {match.group(1)!r} (known: gridworld, objectworld)")
    size = int(match.group(2))
    smallest = 2 if name == "gridworld" else 3
    if not smallest <= size <= MAX_SIZE:
        raise GameError(f"--mdp: {name} size must be between {smallest} and {MAX_SIZE}, got {size}")
    return name, size


def build_world(name: str, size: int, *, seed: int, horizon: int | None, discount: float, slip: float) -> Any:
    from equilibria.applications.irl import worlds

    h = 2 * size if horizon is None else horizon
    if name == "gridworld":
        return worlds.gridworld(size, slip=slip, horizon=h, discount=discount, seed=seed)
    return worlds.objectworld(size, slip=slip, horizon=h, discount=discount, seed=seed)


def cmd_irl(args: argparse.Namespace) -> int:
    if args.irl_command != "maxent":  # argparse's choices make this unreachable; kept for direct callers
        raise GameError(f"irl: unknown subcommand {args.irl_command!r} (known: maxent)")
    document = maxent_document(args)
    if args.format == "json":
        print(json.dumps(document, indent=1))
    else:
        print(_table(document))
    return EXIT_OK


def maxent_document(args: argparse.Namespace) -> dict[str, Any]:
    """Build the world, sample the demonstrations, fit, and return the JSON document (module docstring)."""
    name, size = parse_world(args.mdp)
    if not 1 <= args.demonstrations <= MAX_DEMONSTRATIONS:
        raise GameError(f"--demonstrations: must be between 1 and {MAX_DEMONSTRATIONS:,}, got {args.demonstrations}")
    if args.seed < 0:
        raise GameError(f"--seed: must be >= 0, got {args.seed}")
    if args.horizon is not None and args.horizon < 0:
        raise GameError(f"--horizon: must be >= 0, got {args.horizon}")
    if not 0.0 <= args.discount <= 1.0:
        raise GameError(f"--discount: must be in [0, 1], got {args.discount:g}")
    if not 0.0 <= args.slip <= 1.0:
        raise GameError(f"--slip: must be in [0, 1], got {args.slip:g}")
    if args.method not in ("mce", "maxent"):
        raise GameError(f"--method: unknown method {args.method!r} (known: mce, maxent)")
    import jax

    from equilibria.applications.irl.maxent import maxent_irl
    from equilibria.applications.irl.soft_values import sample_demonstrations, soft_value_iteration

    mdp = build_world(name, size, seed=args.seed, horizon=args.horizon, discount=args.discount, slip=args.slip)
    with jax.enable_x64(True):
        expert = soft_value_iteration(mdp, mdp.reward, temperature=args.temperature).policy
        demonstrations = sample_demonstrations(mdp, expert, jax.random.key(args.seed), args.demonstrations)
    result = maxent_irl(mdp, demonstrations, causal=args.method == "mce", reward_model=args.reward_model,
                        temperature=args.temperature, l2=args.l2, max_iterations=args.iterations,
                        max_seconds=args.max_seconds, key=args.seed)
    p = result.parameters
    document: dict[str, Any] = {
        "evd": float(p["evd"]), "log_likelihood": float(result.values[0][0]),
        "reward": [float(x) for x in result.equilibria[0]],
        "true_reward": [float(x) for x in mdp.reward],
        "epic": float(p["epic"]), "feature_expectation_gap": float(result.certificate[0]),
        "converged": result.converged, "stopped_because": p.get("stopped_because"),
        "iterations": result.iterations, "seconds": result.seconds, "method": result.method,
        "mdp": f"{name}:{size}", "states": mdp.n_states, "horizon": mdp.horizon, "discount": mdp.discount,
        "demonstrations": args.demonstrations, "seed": args.seed, "reward_model": p["reward_model"], "l2": p["l2"]}
    if "theta" in p:
        document["theta"] = [float(x) for x in p["theta"]]
    return document


def _table(document: dict[str, Any]) -> str:
    status = "converged" if document["converged"] else f"not converged ({document['stopped_because']})"
    lines = [f"{document['mdp']} ({document['states']} states, horizon {document['horizon']}, discount "
             f"{document['discount']:g}): {document['method']} from {document['demonstrations']} demonstrations, "
             f"seed {document['seed']}, {document['iterations']} iterations, {document['seconds']:.2f} s, {status}",
             f"  EVD {document['evd']:.4g}   EPIC distance {document['epic']:.4g}   log-likelihood "
             f"{document['log_likelihood']:.6g} per demonstration   feature-expectation gap "
             f"{document['feature_expectation_gap']:.2e} (the certificate)"]
    size = int(document["mdp"].split(":")[1])
    if size * size == len(document["reward"]) and size <= 12:
        for title, key in (("learned reward", "reward"), ("true reward", "true_reward")):
            lines.append(f"  {title}:")
            values = document[key]
            for row in range(size):
                lines.append("    " + " ".join(f"{values[row * size + col]:>7.3f}" for col in range(size)))
    return "\n".join(lines)
