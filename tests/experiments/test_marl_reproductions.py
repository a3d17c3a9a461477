"""Pieces of the four reproductions of issue 17 (markov-soccer, big-match, grid-games, independent-learners); their
quick runs, with every check and figure, are tests/experiments/test_registry.py's (every registered reproduction)."""

from __future__ import annotations

from fractions import Fraction


def test_big_match_exact_rows_follow_the_formula() -> None:
    from equilibria.experiments.big_match import _exact_rows

    for row in _exact_rows((0.8, 0.99)):
        beta = Fraction(row["discount"]).limit_denominator(10_000)
        assert row["rational"] and row["normalised"] == Fraction(1, 2)
        assert row["p_top"] == (1 - beta) / (2 - beta) and row["p_left"] == Fraction(1, 2)
        assert row["certificate"] == 0


def test_grid_match_labels_only_values_within_the_tolerance() -> None:
    from equilibria.experiments.grid_games import MATCH_TOLERANCE, _match

    reference = [{"values": [97.0299, 97.0299]}]
    assert _match([97.0299 + MATCH_TOLERANCE / 2, 97.0299], reference) == "(97.03, 97.03)"
    assert _match([96.0597, 96.0597], reference) == "none"
    assert _match([0.0, 97.0299], reference) == "none"
