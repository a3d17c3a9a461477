import numpy as np
import pytest

from equilibria import SolveResult


def test_result_requires_aligned_fields_and_reports_worst_certificate():
    profile = (np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    result = SolveResult(game=None, method="m", equilibria=(profile, profile), values=(np.zeros(2), np.zeros(2)),
                         certificate=(0.0, 1e-3))
    assert len(result) == 2 and result.worst_certificate == 1e-3 and result.equilibrium is profile
    assert "n_equilibria=2" in repr(result)
    with pytest.raises(ValueError, match="one entry per equilibrium"):
        SolveResult(game=None, method="m", equilibria=(profile,), values=(), certificate=())
    empty = SolveResult(game=None, method="m", equilibria=(), values=(), certificate=(), converged=False)
    assert empty.worst_certificate == float("inf")
    with pytest.raises(LookupError, match="no equilibrium"):
        _ = empty.equilibrium
