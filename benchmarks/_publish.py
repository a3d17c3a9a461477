"""What every benchmark script shares around its results: the machine and versions it ran on, markdown cells and
tables, its marked section of ``BENCHMARKS.md``, and the command line that reproduces it.

Each script owns one section of ``BENCHMARKS.md``, between an HTML-comment begin and end marker of its own;
:func:`publish_section` runs the script under the command line that reproduces it (thread settings included),
prints the section and, with ``--write``, replaces that section alone (the file is written atomically).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from benchmarks._harness import distribution_version
from equilibria.core.files import write_atomic

T = TypeVar("T")

INTRO = """# Benchmarks

Side-by-side comparisons of `equilibria` with peer libraries, produced by the scripts in `benchmarks/`.
The machine these numbers come from is shared with other work and noisy: read medians and ratios, not
single timings, and rerun a script before drawing conclusions from small differences. On such a machine
multi-threaded OpenBLAS can be far slower than one thread (a 1000 x 1000 Cholesky factorisation measured
0.6-1.3 s with 2 threads against 16 ms with 1 while other jobs ran), so the recorded runs set
`OPENBLAS_NUM_THREADS=1` for every library alike; the command line of each section says so.
"""

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


# ------------------------------------------------------------------------------------------------------------
# The machine and the versions
# ------------------------------------------------------------------------------------------------------------


def thread_settings() -> list[str]:
    """The thread-count environment variables that are set, as ``NAME=value`` (part of the command line)."""
    return [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ]


def cpu_name() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return cpu


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def blas_name() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):
        return "BLAS unknown"
    return f"{blas.get('name', 'BLAS')} {blas.get('version', '')}".strip()


def git_revision() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"git {head}" + (" + uncommitted changes" if dirty else "")


def machine_line(extra: str = "") -> str:
    """``- Machine: CPU, cores, OS; load average at the end; thread settings`` (then ``; extra``)."""
    threads = " ".join(thread_settings()) or "library defaults"
    line = (f"- Machine: {cpu_name()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; load "
            f"average at the end {load_average()}; thread settings: {threads}")
    return f"{line}; {extra}" if extra else line


def versions_line(*items: str) -> str:
    """``- Python X; equilibria V (git revision); items``. An item without a space is a distribution name, written
    with its installed version; anything else is written as it is (a version with a note)."""
    entries = [f"Python {platform.python_version()}", f"equilibria {distribution_version('equilibria')} "
               f"({git_revision()})"]
    entries += [item if " " in item else f"{item} {distribution_version(item)}" for item in items]
    return "- " + "; ".join(entries)


def utc_minute(moment: datetime.datetime | None = None) -> str:
    """``moment`` (default: now) as ``YYYY-MM-DD HH:MM UTC``, the "run on" of every section."""
    return (moment or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M UTC")


def command_line(command: str, details: str, started: str, seconds: float) -> str:
    """``- Command: `command` (details); run on started, took N s``."""
    return f"- Command: `{command}` ({details}); run on {started}, took {seconds:.0f} s"


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines


def met(ok: bool | None) -> str:
    """A targets-table status cell: ``**met**``, ``**not met**``, or ``**not measured**`` (None)."""
    return "**not measured**" if ok is None else ("**met**" if ok else "**not met**")


# ------------------------------------------------------------------------------------------------------------
# The marked section of BENCHMARKS.md, and the command line
# ------------------------------------------------------------------------------------------------------------


def replace_section(existing: str, section: str, markers: tuple[str, str]) -> str:
    """``existing`` with the marked section replaced by ``section`` (appended when there is none)."""
    begin_marker, end_marker = markers
    start, end = existing.find(begin_marker), existing.find(end_marker)
    if start != -1 and end > start:
        return existing[:start] + section.rstrip("\n") + existing[end + len(end_marker) :]
    return existing.rstrip("\n") + "\n\n" + section


def write_section(path: Path, section: str, markers: tuple[str, str]) -> None:
    """Replace the marked section of ``path`` (created with the intro if missing), atomically."""
    existing = path.read_text() if path.exists() else INTRO
    write_atomic(path, replace_section(existing, section, markers))


def publish_section(script: str, argv: Sequence[str] | None, run: Callable[[str], T], render: Callable[[T], str],
                    write: Path | None, markers: tuple[str, str]) -> T:
    """Run a benchmark under the command line that reproduces it (thread settings included), print its section
    and, with ``write``, replace that section of the file. Returns the benchmark's report."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    report = run(" ".join([*thread_settings(), "python", f"benchmarks/{script}", *arguments]))
    section = render(report)
    print(section)
    if write is not None:
        write_section(write, section, markers)
        print(f"wrote {write}", file=sys.stderr)
    return report


def benchmark_parser(doc: str | None, section: str, quick_help: str) -> argparse.ArgumentParser:
    """The options every benchmark script has: ``--quick`` and ``--write FILE`` (replace ``section`` there);
    the description is the first line of the script's docstring."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--write", type=Path, default=None, help=f"replace the {section} section of this markdown file")
    return parser


def log_to_stderr(message: str) -> None:
    """The progress log every benchmark prints while it runs."""
    print(message, file=sys.stderr, flush=True)
