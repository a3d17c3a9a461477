"""Every registered reproduction runs in quick mode and reproduces its literature checks; one whose work is split
into checkpointed units, with its result and one unit deleted (what a run killed in that unit leaves), runs that unit
alone again and gives the same results. (A real SIGKILL in a child process: tests/experiments/test_resume.py.)"""

import re
from pathlib import Path

import pytest

from equilibria.core.errors import GameError
from equilibria.experiments import registry, resolve
from equilibria.experiments.runner import run_experiment
from tests.experiments.test_resume import without_timings

# Reproductions whose own test module runs the quick configuration (checks, figures, then a resumed run): running
# them here as well would run the suite's longest tests twice.
OWN_QUICK_TEST = {
    "adversarial-training": "test_adversarial_training.py",
    "bayes-nash": "test_bayes_nash.py",
    "credit-assignment": "test_credit_assignment.py",
    "elicitation": "test_elicitation.py",
    "emergent-language": "test_emergent_language.py",
    "learning-bidders": "test_learning_bidders.py",
    "lewis-signaling": "test_lewis_signaling.py",
    "maxent-irl": "test_maxent_irl.py",
    "optimal-auctions": "test_optimal_auctions.py",
    "position-auctions": "test_position_auctions.py",
    "reward-hacking": "test_reward_hacking.py",
    "rlhf-evaluators": "test_rlhf_evaluators.py",
}


@pytest.mark.parametrize("name", sorted(set(registry()) - set(OWN_QUICK_TEST)))
def test_registered_experiment_reproduces_quickly(name, tmp_path):
    experiment = registry()[name]
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    failed = [c for c in outcome.result.checks if not c.passed]
    assert outcome.result.checks and not failed, failed
    for figure in outcome.result.figures:
        assert (tmp_path / name / figure.path).stat().st_size > 1000

    units = sorted((tmp_path / name).glob("*/[!.]*.json"))
    assert len(units) == outcome.units[1] and outcome.units[0] == 0
    if not units:
        return  # no checkpointed units: nothing to resume
    (tmp_path / name / "result.json").unlink()
    lost, kept = units[0], {path: path.stat().st_mtime_ns for path in units[1:]}
    lost.unlink()
    again = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    assert again.units == (len(units) - 1, len(units)) and lost.exists()
    assert {path: path.stat().st_mtime_ns for path in units[1:]} == kept  # read back, not recomputed
    assert without_timings(again.result.to_json()) == without_timings(outcome.result.to_json())


@pytest.mark.parametrize("name", sorted(OWN_QUICK_TEST))
def test_skipped_reproductions_have_their_own_quick_run_with_checks(name):
    assert name in registry()
    source = (Path(__file__).parent / OWN_QUICK_TEST[name]).read_text()
    assert re.search(r"run_experiment\([^)]*quick=True", source), name
    assert "not c.passed" in source and "st_size > 1000" in source, name  # every check passes; figures written


def test_resolve_names_unknown_experiment():
    with pytest.raises(GameError, match="known: .*zoo-atlas"):
        resolve(["nope"])
