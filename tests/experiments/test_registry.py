"""Every registered reproduction runs in quick mode and reproduces its literature checks."""

import pytest

from equilibria.core.errors import GameError
from equilibria.experiments import registry, resolve
from equilibria.experiments.runner import run_experiment


@pytest.mark.parametrize("name", sorted(registry()))
def test_registered_experiment_reproduces_quickly(name, tmp_path):
    experiment = registry()[name]
    outcome = run_experiment(experiment, tmp_path, quick=True, show_progress=False)
    failed = [c for c in outcome.result.checks if not c.passed]
    assert outcome.result.checks and not failed, failed
    for figure in outcome.result.figures:
        assert (tmp_path / name / figure.path).stat().st_size > 1000


def test_resolve_names_unknown_experiment():
    with pytest.raises(GameError, match="known: .*zoo-atlas"):
        resolve(["nope"])
