# Two commands on a fresh machine: `make demo` (environment + quick reproduction report) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench report clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "equilibria needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/equilibria reproduce --quick --out report

test: lint typecheck unit

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Two pytest workers on two cores: one BLAS thread each, or OpenBLAS oversubscribes and crawls. Work stealing: a
# worker that runs out takes tests from the other, so the run does not end on one worker's queue of long tests.
unit: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist worksteal --durations=25

# Peer libraries (nashpy, quantecon, pygambit, open_spiel, mfglib) live in the bench extra; pygambit compiles
# (~5 min). torch first, as a CPU build (where the index serves CUDA builds add
# --index-url https://download.pytorch.org/whl/cpu); mfglib without its dependencies (it pins osqp < 1, which
# cvxpy cannot use; its own are in the extra).
bench: $(STAMP)
	$(PY) -m pip install --quiet "torch>=2.0"
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) -m pip install --quiet --no-deps "mfglib>=0.3"
	$(PY) benchmarks/normal_form.py --write BENCHMARKS.md
	$(PY) benchmarks/dynamics.py --write BENCHMARKS.md
	$(PY) benchmarks/extensive_form.py --write BENCHMARKS.md
	$(PY) benchmarks/pricing.py --write BENCHMARKS.md
	$(PY) benchmarks/gan.py --write BENCHMARKS.md
	$(PY) benchmarks/mean_field.py --write BENCHMARKS.md
	$(PY) benchmarks/auctions.py --write BENCHMARKS.md
	$(PY) benchmarks/irl.py --write BENCHMARKS.md

report: demo

clean:
	rm -rf $(VENV) report .pytest_cache .mypy_cache .ruff_cache .hypothesis
