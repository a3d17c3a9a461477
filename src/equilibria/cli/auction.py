"""``equilibria auction``: the outcome of an auction, the EOS equilibrium of GSP, and Bayes-Nash bidding.

Three modes (a stable contract, docs/design.md):

- the outcome of given bids (``--bids``; truthful bids, ``bids = values``, when absent): ``{"format", "values",
  "bids", "allocation", "payments", "utilities", "revenue", "welfare"}``; position auctions (``gsp``, ``vcg``) add
  ``"slots"`` (the slot each bidder gets, null for none) and ``"prices_per_click"``. Allocation is the probability
  of winning (single item; ties split it), the expected clicks (position auctions) or 1 for a won bundle (LLG);
  payments are expected totals.
- ``--equilibrium eos`` (``gsp`` only): the lowest locally envy-free equilibrium of Edelman, Ostrovsky and Schwarz
  (2007) for the given values, with the outcome of its bids, ``"nash_regret"`` (every bidder's best deviation
  gain, exact: the certificate), ``"local_envy"`` and ``"vcg_revenue"``.
- ``--bne`` with ``--priors`` (one prior per bidder, or one for all with ``--bidders``): a Bayes-Nash equilibrium
  computed numerically: ``"bid_functions"`` (``[{"values", "bids"}]`` per bidder, on a grid), ``"revenue"`` (by
  simulation, with ``"revenue_stderr"``), ``"utility_loss"`` per bidder (the certificate: the ex-interim gain of
  a best response on a fine grid, estimated by sampling on the draws it maximises over, so biased upward, with
  ``"utility_loss_stderr"``), ``"utility_loss_held_out"`` (the best bids chosen on half the draws and measured on
  the other half: without that bias, with its own stderr) and, where a closed form is known for the setting,
  ``"l2_to_analytic"`` per bidder. Defaults (``BNE_OPTIONS``): the best-response options the solver's tests certify
  Plum's bidders with; ``first-price --priors uniform:0:1,uniform:0:2 --bne`` stops certified at sweep 100 (losses
  7.3e-4 and 9.9e-4, L2 to Plum's closed form 0.002 and 0.003; 44 CPU s, 183 s wall on a loaded 2-core machine,
  2026-12-06). ``--max-seconds`` counts from the start, compilation included; the first sweep's compilation (some
  8 CPU s per format and priors) cannot be interrupted, and a budget already spent then gets a smaller certificate
  (:data:`equilibria.solvers.bayes_nash.BUDGET_CERTIFICATE_SAMPLES` draws), marked not converged unless it passes.

Every number printed comes from the returned bids or bid functions through :mod:`equilibria.games.auctions` and
:mod:`equilibria.metrics`, never from a solver's own bookkeeping.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from equilibria.cli._common import EXIT_OK, finite_float
from equilibria.core.errors import GameError

# Per method, what --bne passes to bayes_nash_solve. best_response: the options tests/solvers/test_bayes_nash.py
# certifies Plum's asymmetric bidders with (half the solver's default draws per sweep, a 32 x 128 certificate grid,
# a check every 25 sweeps: the first one below the tolerance stops the run); gradient: a check every 100 steps.
BNE_OPTIONS: dict[str, dict[str, Any]] = {
    "best_response": {"n_samples": 1024, "certificate_values": 32, "certificate_bids": 128, "check_every": 25},
    "gradient": {"check_every": 100}}
MAX_BID_FUNCTION_ROWS = 9  # the table shows this many grid points per bid function (the JSON holds every one)


def number_list(text: str) -> tuple[float, ...]:
    """``--values``/``--bids``/``--ctr``/``--quality``: comma-separated finite numbers (argparse type)."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
    return tuple(finite_float(p) for p in parts)


def prior_list(text: str) -> tuple[str, ...]:
    """``--priors``: comma-separated prior texts (``uniform:0:1,power:2``), checked when the command runs."""
    parts = tuple(p.strip() for p in text.split(","))
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated priors such as uniform:0:1, got {text!r}")
    return parts


def cmd_auction(args: argparse.Namespace) -> int:
    from equilibria.core.names import resolve
    from equilibria.games.auctions import MECHANISM_ALIASES, MECHANISM_NAMES

    rule = resolve(args.format_name, MECHANISM_NAMES, aliases=MECHANISM_ALIASES, kind="auction format")
    if args.bne:
        document = _bayes_nash(args, rule)
    elif args.equilibrium is not None:
        document = _eos(args, rule)
    else:
        document = _outcome_document(args, rule)
    if args.format == "json":
        print(json.dumps(document, indent=1))
    else:
        print(_table(document))
    return EXIT_OK


# -- outcomes --------------------------------------------------------------------------------------------------------


def _mechanism(args: argparse.Namespace, rule: str, n_bidders: int) -> Any:
    from equilibria.games.auctions import mechanism_by_name

    position = rule in ("gsp", "vcg")
    if not position and (args.ctr is not None or args.quality is not None):
        raise GameError(f"--ctr/--quality: {rule} is not a position auction (use gsp or vcg)")
    if position and args.ctr is None:
        raise GameError(f"--ctr: {rule} needs one click-through rate per slot, e.g. --ctr 200,100")
    if rule.startswith("llg_") and args.reserve:
        raise GameError(f"--reserve: {rule} has no reserve price")
    return mechanism_by_name(rule, n_bidders=None if rule.startswith("llg_") else n_bidders,
                             reserve=args.reserve or 0.0, ctr=args.ctr, quality=args.quality)


def _outcome_fields(mechanism: Any, values: np.ndarray, bids: np.ndarray) -> dict[str, Any]:
    from equilibria.games import auctions

    result = auctions.outcome(mechanism, bids)
    fields: dict[str, Any] = {
        "values": values.tolist(), "bids": bids.tolist(),
        "allocation": np.asarray(result.allocation, dtype=float).tolist(),
        "payments": np.asarray(result.payments, dtype=float).tolist(),
        "utilities": np.asarray(auctions.utilities(mechanism, values, bids), dtype=float).tolist(),
        "revenue": float(auctions.revenue(result)),
        "welfare": float(auctions.welfare(mechanism, values, result))}
    if isinstance(mechanism, auctions.PositionAuction):
        slots = np.asarray(auctions.position_slots(mechanism, bids), dtype=int)
        fields["slots"] = [None if s < 0 else int(s) for s in slots]
        fields["prices_per_click"] = np.asarray(auctions.prices_per_click(mechanism, bids), dtype=float).tolist()
    return fields


def _values(args: argparse.Namespace, rule: str) -> np.ndarray:
    if args.values is None:
        raise GameError(f"--values: {rule} needs the bidders' values, e.g. --values 10,4,2")
    if args.priors is not None:
        raise GameError("--priors: only with --bne (a Bayes-Nash equilibrium); an outcome needs --values")
    return np.asarray(args.values, dtype=float)


def _outcome_document(args: argparse.Namespace, rule: str) -> dict[str, Any]:
    values = _values(args, rule)
    bids = values if args.bids is None else np.asarray(args.bids, dtype=float)
    if bids.shape != values.shape:
        raise GameError(f"--bids: {bids.size} bids for {values.size} values (one bid per bidder)")
    if rule.startswith("llg_") and values.size != 3:
        raise GameError(f"--values: LLG has 3 bidders (two local, one global), got {values.size} values")
    mechanism = _mechanism(args, rule, values.size)
    return {"format": rule, "truthful": args.bids is None, **_outcome_fields(mechanism, values, bids)}


def _eos(args: argparse.Namespace, rule: str) -> dict[str, Any]:
    from equilibria.solvers.position_auction import eos_solve

    if args.equilibrium != "eos":
        raise GameError(f"--equilibrium: unknown equilibrium {args.equilibrium!r} (known: eos)")
    if rule != "gsp":
        raise GameError(f"--equilibrium eos: the EOS equilibrium is one of GSP; {rule} is not gsp")
    if args.bids is not None:
        raise GameError("--bids: --equilibrium eos computes the bids; give --values only")
    values = _values(args, rule)
    mechanism = _mechanism(args, rule, values.size)
    result = eos_solve(mechanism, values)
    bids = np.asarray(result.equilibria[0], dtype=float)
    return {"format": rule, "equilibrium": "eos", **_outcome_fields(mechanism, values, bids),
            "nash_regret": float(result.certificate[0]), "local_envy": float(result.parameters["local_envy"]),
            "vcg_revenue": float(result.parameters["vcg_revenue"]),
            "top_bid": result.parameters.get("top_bid"), "converged": result.converged, "seconds": result.seconds}


# -- Bayes-Nash ------------------------------------------------------------------------------------------------------


def _priors(args: argparse.Namespace) -> tuple[Any, ...]:
    from equilibria.games.auction_priors import parse_prior

    if args.priors is None:
        raise GameError("--priors: --bne needs the bidders' value distributions, e.g. --priors uniform:0:1,uniform:0:2")
    priors = tuple(parse_prior(p) for p in args.priors)
    if args.bidders is not None:
        if len(priors) != 1:
            raise GameError(f"--bidders: give one prior for all {args.bidders} bidders, or one prior per bidder "
                            f"without --bidders (got {len(priors)} priors)")
        priors = priors * args.bidders
    return priors


def _bayes_nash(args: argparse.Namespace, rule: str) -> dict[str, Any]:
    import jax

    from equilibria.games.zoo.auctions import known_equilibrium
    from equilibria.solvers.bayes_nash import bayes_nash_solve, canonical_method

    if args.values is not None or args.bids is not None:
        raise GameError("--values/--bids: --bne computes bid functions from --priors; give no values or bids")
    if rule in ("gsp", "vcg"):
        raise GameError(f"--bne: Bayes-Nash bidding is computed for single-item auctions and LLG, not {rule}")
    priors = _priors(args)
    if rule.startswith("llg_") and len(priors) != 3:
        raise GameError(f"--priors: LLG has 3 bidders (two local, one global), got {len(priors)} priors")
    mechanism = _mechanism(args, rule, len(priors))
    known = known_equilibrium(mechanism, priors)
    with jax.enable_x64(True):
        method = canonical_method(args.method)
        result = bayes_nash_solve(mechanism, priors, method=method, key=jax.random.key(args.seed),
                                  max_seconds=args.max_seconds, known_equilibrium=known, **BNE_OPTIONS[method])
    p = result.parameters
    document: dict[str, Any] = {
        "format": rule, "priors": [prior.text for prior in priors], "method": result.method,
        "bid_functions": [{"values": np.asarray(f.values, dtype=float).tolist(),
                           "bids": np.asarray(f.bids, dtype=float).tolist()} for f in result.equilibria[0]],
        "revenue": float(p["revenue"]), "revenue_stderr": float(p["revenue_stderr"]),
        "utilities": np.asarray(result.values[0], dtype=float).tolist(),
        "utility_loss": np.asarray(p["utility_loss"], dtype=float).tolist(),
        "utility_loss_stderr": np.asarray(p["stderr"], dtype=float).tolist(),
        "utility_loss_held_out": np.asarray(p["utility_loss_held_out"], dtype=float).tolist(),
        "utility_loss_held_out_stderr": np.asarray(p["held_out_stderr"], dtype=float).tolist(),
        "certificate": "utility_loss", "converged": result.converged,
        "stopped_because": None if result.converged else p.get("stopped_because"),
        "iterations": result.iterations, "seconds": result.seconds}
    if "l2_to_analytic" in p:
        document["l2_to_analytic"] = [None if d is None else float(d) for d in p["l2_to_analytic"]]
    return document


# -- the table -------------------------------------------------------------------------------------------------------


def _table(document: dict[str, Any]) -> str:
    if "bid_functions" in document:
        return _bne_table(document)
    lines = [f"{document['format']}: " + ("truthful bids" if document.get("truthful") else
                                          "EOS equilibrium bids" if document.get("equilibrium") else "given bids")]
    slots = document.get("slots")
    header = f"  {'bidder':>6} {'value':>10} {'bid':>10} {'allocation':>10} {'payment':>10} {'utility':>10}"
    lines.append(header + ("   slot" if slots is not None else ""))
    for i, value in enumerate(document["values"]):
        row = (f"  {i:>6} {value:>10.6g} {document['bids'][i]:>10.6g} {document['allocation'][i]:>10.6g} "
               f"{document['payments'][i]:>10.6g} {document['utilities'][i]:>10.6g}")
        if slots is not None:
            row += f"   {'-' if slots[i] is None else slots[i] + 1}"
        lines.append(row)
    lines.append(f"  revenue {document['revenue']:.6g}   welfare {document['welfare']:.6g}")
    if "nash_regret" in document:
        lines.append(f"  nash regret {document['nash_regret']:.3e} (the certificate)   local envy "
                     f"{document['local_envy']:.3e}   VCG revenue {document['vcg_revenue']:.6g}   top bid: "
                     f"{document['top_bid']}")
    return "\n".join(lines)


def _bne_table(document: dict[str, Any]) -> str:
    status = "converged" if document["converged"] else f"not converged ({document['stopped_because']})"
    lines = [f"{document['format']} with priors {', '.join(document['priors'])}: Bayes-Nash by "
             f"{document['method']}, {document['seconds']:.2f} s, {status}",
             f"  revenue {document['revenue']:.5g} +- {document['revenue_stderr']:.1g}"]
    for i, function in enumerate(document["bid_functions"]):
        loss, err = document["utility_loss"][i], document["utility_loss_stderr"][i]
        extra = ""
        if document.get("l2_to_analytic") and document["l2_to_analytic"][i] is not None:
            extra = f"   L2 to the closed form {document['l2_to_analytic'][i]:.2e}"
        lines.append(f"  bidder {i}: utility loss {loss:.2e} +- {err:.1g} (the certificate){extra}")
        values, bids = np.asarray(function["values"]), np.asarray(function["bids"])
        picks = np.unique(np.linspace(0, values.size - 1, min(MAX_BID_FUNCTION_ROWS, values.size)).astype(int))
        lines.append("    value " + " ".join(f"{values[k]:>7.3f}" for k in picks))
        lines.append("    bid   " + " ".join(f"{bids[k]:>7.3f}" for k in picks))
    return "\n".join(lines)
