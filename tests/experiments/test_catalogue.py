"""The catalogue of estimated run times names exactly the registered reproductions, and the command says the
estimate before it starts (issue 16: the full calvano-heatmap must not start by surprise)."""

from __future__ import annotations

import pytest

from equilibria.cli import main
from equilibria.experiments import registry
from equilibria.experiments.catalogue import ESTIMATES, duration_text, help_text, plan_text


def test_catalogue_names_every_registered_experiment() -> None:
    assert set(ESTIMATES) == set(registry())


def test_estimates_are_positive_and_full_is_longer() -> None:
    for name, estimate in ESTIMATES.items():
        assert 0 < estimate.quick_seconds <= estimate.full_seconds, name


@pytest.mark.parametrize(("seconds", "text"), [(3, "~3 s"), (0.2, "~1 s"), (300, "~5 min"), (7200, "~2 h"),
                                               (10 * 86400, "~10 days")])
def test_duration_text(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_the_full_plan_names_what_dominates() -> None:
    text = plan_text(sorted(ESTIMATES), quick=False)
    assert text.startswith(f"{len(ESTIMATES)} reproductions (full configurations), estimated ")
    assert "calvano-heatmap alone" in text
    assert "resumes" in text
    assert "alone" not in plan_text(["kuhn-value"], quick=True)


def test_help_lists_every_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name in ESTIMATES:
        assert f"{name} (" in out
    assert help_text().split(":")[0] in out


def test_the_estimate_is_said_before_the_run(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    assert main(["reproduce", "minimax-stepper", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("equilibria: reproducing 1 reproduction (--quick configurations), estimated ~")
