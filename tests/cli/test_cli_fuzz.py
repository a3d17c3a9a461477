"""Fuzz the command line: malformed numbers for every numeric flag of every command, odd sizes and odd paths.

Whatever the input, ``equilibria`` ends with exit code 0 (the input was valid) or 2 (bad input, exactly one line on
stderr), never a traceback or an internal error (exit 1). Numbers that are not plain ASCII decimals (``nan``,
``inf``, hex, ``1_000``, non-ASCII digits, blanks) are always exit 2. The commands run in-process
(``equilibria.cli.main``) to be fast; one subprocess test checks ``python -m equilibria`` itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from equilibria.cli import main

PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
MALFORMED = ["nan", "NaN", "inf", "-inf", "Infinity", "-0", "0", "0.0", "1e308", "1e-300", "1e309", "-1e308", "1e-320",
             "9" * 5000, "1" + "0" * 40, "0x10", "0b1", "", " ", " 1", "١٢", "１２", "1_000", "1e", ".", "+", "-",
             "3/2", "1e400", "2147483648", "9223372036854775808", "18446744073709551616", "-1", "1e9", "0.5", "2",
             "1e99999999999999999999", "0e999999999999999999999", "1e-999999999"]
NUMBERS = st.one_of(st.sampled_from(MALFORMED), st.integers(-(10**25), 10**25).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr))

# Every command's numeric flags, each on a base invocation that is fast when the flag's value is valid.
FAST_PRICING = ["pricing", "--no-progress", "--prices", "3", "--beta", "1e-2", "--window", "50", "--sessions", "2",
                "--max-periods", "3000"]
FAST_DYNAMICS = ["dynamics", "matching-pennies", "--method", "hedge", "--steps", "8"]
NUMERIC_FLAGS = [
    (["solve", "matching-pennies", "--method", "lemke-howson"], "--max-seconds"),
    (["solve", "matching-pennies", "--method", "lemke-howson"], "--max-iterations"),
    (FAST_DYNAMICS, "--steps"),
    (FAST_DYNAMICS, "--lr"),
    (FAST_DYNAMICS, "--seed"),
    (["dynamics", "matching-pennies", "--method", "best_response", "--steps", "8"], "--lr"),
    *((FAST_PRICING, flag) for flag in ("--firms", "--prices", "--xi", "--quality", "--cost", "--outside", "--mu",
                                        "--alpha", "--beta", "--discount", "--memory", "--window", "--max-periods",
                                        "--sessions", "--seed")),
]

FUZZ = settings(max_examples=55, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_exit(capsys: pytest.CaptureFixture[str], argv: list[str]) -> int:
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2), (argv[:8], code, err[-300:])
    assert "Traceback" not in err and "internal error" not in err, (argv[:8], err[-300:])
    if code == 2:
        assert len(err.strip().splitlines()) == 1, (argv[:8], err[-300:])
    return code


# Valid sizes that are merely long (a billion dynamics steps take minutes) are not run: the refusals are the point.
LONG = {"--steps": 10_000, "--sessions": 1_000}


def _long(flag: str, number: str) -> bool:
    if flag not in LONG or not (number.isascii() and PLAIN.fullmatch(number)):
        return False
    try:
        value = Decimal(number)
    except InvalidOperation:  # an exponent beyond Decimal's range: the CLI refuses it (exit 2), nothing runs long
        return False
    return value == value.to_integral_value() and LONG[flag] < value < 10**30


@FUZZ
@given(case=st.sampled_from(NUMERIC_FLAGS), number=NUMBERS)
def test_numeric_flags_exit_0_or_2_with_one_line(capsys: pytest.CaptureFixture[str],
                                                 case: tuple[list[str], str], number: str) -> None:
    base, flag = case
    assume(not _long(flag, number))
    code = check_exit(capsys, [*base, f"{flag}={number}"])
    if not (number.isascii() and PLAIN.fullmatch(number)):
        assert code == 2, (flag, number)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.one_of(NUMBERS, st.sampled_from(["0.5", "1/2", "0", "1", "0.25", "0.75", "1/0"])),
                        min_size=1, max_size=3), players=st.integers(1, 3))
def test_start_profiles_exit_0_or_2_with_one_line(capsys: pytest.CaptureFixture[str], entries: list[str],
                                                 players: int) -> None:
    profile = ";".join([",".join(entries)] * players)
    check_exit(capsys, [*FAST_DYNAMICS, f"--start={profile}"])


@pytest.fixture(scope="module")
def odd_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("odd")
    read_only = root / "read-only"
    read_only.mkdir()
    (read_only / "game.json").write_text("{}")
    read_only.chmod(0o555)
    (root / "empty.nfg").write_text("")
    (root / "a dir.json").mkdir()
    os.mkfifo(root / "pipe.nfg")
    names = ["missing.nfg", "missing.json", "empty.nfg", "a dir.json", "pipe.nfg", "read-only/game.json",
             "read-only/x.png", "read-only", "spa ce.nfg", "new\nline.json", "tab\t.png", "ünï\u200bcode.efg",
             "x" * 300 + ".nfg", "-dash.json", "..", "."]
    return [str(root / name) for name in names] + ["/proc/self/status", "/proc/x.json", "/proc/self/x.png", "/",
                                                  "/dev/null", "/sys/x.png", ""]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_paths_exit_0_or_2_with_one_line(capsys: pytest.CaptureFixture[str], odd_paths: list[str],
                                         data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(odd_paths))
    suffix = data.draw(st.sampled_from(["", ".png", ".svg", ".txt"]))
    argv = data.draw(st.sampled_from([
        ["solve", path],
        ["dynamics", path, "--method", "hedge", "--steps", "4"],
        ["dynamics", "matching-pennies", "--method", "hedge", "--steps", "4", f"--plot={path}{suffix}"],
        ["reproduce", "no-such-experiment", f"--out={path}"],
    ]))
    code = check_exit(capsys, argv)
    if argv[0] == "solve" or argv[1] == path:
        assert code == 2  # none of these paths holds a game


def test_python_m_equilibria_prints_no_traceback_for_bad_input(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for argv in (["solve", str(deep)], ["pricing", "--sessions", "1e9"], ["dynamics", "bilinear", "--method", "gda",
                                                                          "--plot", "/proc/x.png"]):
        proc = subprocess.run([sys.executable, "-m", "equilibria", *argv], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "EQUILIBRIA_DEBUG": ""})
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stdout == ""
