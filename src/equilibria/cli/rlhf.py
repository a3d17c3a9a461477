"""``equilibria rlhf``: reward learning from human preferences. One subcommand so far, ``bradley-terry``.

``equilibria rlhf bradley-terry FILE.csv [--l2 X] [--format table|json]`` (a stable contract, docs/design.md):
FILE is UTF-8 CSV with a header row and one comparison per row; the columns ``winner`` and ``loser`` (item names,
matched in the header without regard to case or surrounding blanks, in any order; other columns are ignored) name
the preferred and the other item. Blank lines are skipped. The output (``--format json``)::

    {"scores": {item: score, ...}, "log_likelihood": x, "accuracy": x,
     "n_items": k, "n_comparisons": m, "l2": x, "converged": true}

``scores``: the Bradley-Terry maximum-likelihood scores (``P(i beats j) = sigmoid(score_i - score_j)``),
normalised to mean zero, items in order of first appearance; ``log_likelihood``: the total log-likelihood of the
comparisons at the scores (natural log, no penalty term); ``accuracy``: the share of comparisons whose winner has
the higher score (ties count 1/2). ``--l2``: a ridge penalty ``l2/2 sum score^2`` (default 0, the plain MLE);
needed when some item never loses or never wins (then the plain MLE does not exist, and the command says so).

Errors (one line on stderr, exit 2): a missing or unreadable file, a file that is not UTF-8, a header without a
``winner`` or ``loser`` column, no comparisons, and malformed rows, named by their row number in the file (the
header is row 1): a wrong number of fields, an empty name, a winner equal to its loser. The command imports no
JAX (:func:`equilibria.applications.rlhf.reward_models.bradley_terry_scores` is NumPy).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from typing import Any

from equilibria.cli._common import EXIT_OK
from equilibria.core.errors import GameError


def cmd_rlhf(args: argparse.Namespace) -> int:
    if args.rlhf_command == "bradley-terry":
        document = bradley_terry_document(args.file, l2=args.l2)
        if args.format == "json":
            print(json.dumps(document, indent=1))
        else:
            print(_table(document))
        return EXIT_OK
    raise GameError(f"rlhf: unknown subcommand {args.rlhf_command!r}")  # argparse's choices prevent this


def read_comparisons(path: str) -> tuple[list[str], list[int], list[int]]:
    """``(names, winners, losers)`` from a comparisons CSV: item names in order of first appearance and the
    comparisons as indices into them. One-line GameError for a bad file or row (see the module docstring)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise GameError(f"{path}: no such file") from None
    except OSError as exc:
        raise GameError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GameError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise GameError(f"{path}: empty file (expected a header with columns winner and loser)")
        columns = [cell.strip().lower() for cell in header]
        for needed in ("winner", "loser"):
            if columns.count(needed) != 1:
                problem = "no" if needed not in columns else "more than one"
                raise GameError(f"{path}: the header (row {reader.line_num}) has {problem} {needed!r} column")
        at_winner, at_loser = columns.index("winner"), columns.index("loser")
        index: dict[str, int] = {}
        names: list[str] = []
        winners: list[int] = []
        losers: list[int] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            where = f"{path}: row {reader.line_num}"
            if len(row) != len(header):
                fields = f"{len(row)} field{'' if len(row) == 1 else 's'}"
                raise GameError(f"{where}: {fields}, the header has {len(header)}")
            winner, loser = row[at_winner].strip(), row[at_loser].strip()
            if not winner or not loser:
                raise GameError(f"{where}: empty {'winner' if not winner else 'loser'} name")
            if winner == loser:
                raise GameError(f"{where}: the winner and the loser are the same item ({winner!r})")
            for name in (winner, loser):
                if name not in index:
                    index[name] = len(names)
                    names.append(name)
            winners.append(index[winner])
            losers.append(index[loser])
    except csv.Error as exc:
        raise GameError(f"{path}: row {reader.line_num}: malformed CSV ({exc})") from None
    if not winners:
        raise GameError(f"{path}: no comparisons (only a header)")
    return names, winners, losers


def bradley_terry_document(path: str, *, l2: float = 0.0) -> dict[str, Any]:
    """The JSON document of ``equilibria rlhf bradley-terry`` (module docstring)."""
    import numpy as np

    from equilibria.applications.rlhf.reward_models import bradley_terry_scores

    names, winners, losers = read_comparisons(path)
    result = bradley_terry_scores(np.asarray(winners), np.asarray(losers), len(names), l2=l2, names=names)
    return {"scores": {name: float(score) for name, score in zip(names, result.scores, strict=True)},
            "log_likelihood": result.log_likelihood, "accuracy": result.accuracy, "n_items": len(names),
            "n_comparisons": len(winners), "l2": float(l2), "converged": bool(result.converged)}


def _table(document: dict[str, Any]) -> str:
    ranked = sorted(document["scores"].items(), key=lambda item: -item[1])
    width = max(4, *(len(name) for name, _ in ranked))
    penalty = "" if document["l2"] == 0 else f" (l2 {document['l2']:g})"
    lines = [f"Bradley-Terry scores of {document['n_items']} items from {document['n_comparisons']} comparisons"
             f"{penalty} (mean zero; P(i beats j) = sigmoid(score_i - score_j))",
             f"{'rank':>4}  {'item':<{width}}  {'score':>10}"]
    lines += [f"{rank:>4}  {name:<{width}}  {score:>10.4f}" for rank, (name, score) in enumerate(ranked, 1)]
    lines.append(f"log-likelihood {document['log_likelihood']:.6g}, accuracy {document['accuracy']:.4f}"
                 f"{'' if document['converged'] else ' (NOT converged)'}")
    return "\n".join(lines)
