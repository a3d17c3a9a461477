"""Bad input that used to reach "internal error" (exit 1), a traceback or a hang: each is now one line on stderr
naming the problem, exit code 2. One regression test per reported case, named after it; then the honesty of the
dynamics and pricing reports."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from equilibria.cli import main
from equilibria.cli.dynamics import _dynamics_table

JSON_HEAD = '{"format": "equilibria.normal_form", "version": 1, "payoffs": '


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


# -- game files ----------------------------------------------------------------------------------------------------
def test_json_game_with_a_5000_digit_integer_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(JSON_HEAD + f"[[[{'9' * 5000}]], [[1]]]}}")
    err = assert_refused(capsys, ["solve", str(path)], "JSON integer", "not a finite number representable")
    assert len(err) < 300  # the number is shown shortened


def test_json_game_nested_100k_deep_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert_refused(capsys, ["solve", str(path)], "nests arrays or objects deeper than this reader follows")


def test_json_game_ragged_payoffs_claiming_a_huge_shape_refused_before_allocating(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The first entries claim 2 x 3000 x 3000 numbers (72 MB); the text holds a few thousand characters.
    row = "[" + ",".join(["0"] * 3000) + "]"
    path = tmp_path / "ragged.json"
    path.write_text(JSON_HEAD + "[[" + row + ",0" * 2999 + "], 0]}")
    assert_refused(capsys, ["solve", str(path)], "'payoffs' is ragged", "more than the")


@pytest.mark.parametrize(("payoff", "message"), [("1e999999999", "not a finite number representable as a float"),
                                                 ("1e-999999999", "needs more than 4000 digits")])
def test_json_string_payoff_with_a_huge_exponent_refused_quickly(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                 payoff: str, message: str) -> None:
    path = tmp_path / "exponent.json"
    path.write_text(JSON_HEAD + f'[[["{payoff}"]], [[1]]]}}')
    started = time.perf_counter()
    assert_refused(capsys, ["solve", str(path)], message)
    assert time.perf_counter() - started < 2  # Fraction("1e999999999") would expand a billion digits


def test_nfg_payoff_with_a_huge_exponent_refused_quickly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "exponent.nfg"
    path.write_text('NFG 1 R "x" { "a" "b" } { 1 1 }\n1e999999999 2\n')
    started = time.perf_counter()
    assert_refused(capsys, ["solve", str(path)], "exponent.nfg:2:1:", "not a finite number representable")
    assert time.perf_counter() - started < 2


def test_nfg_5000_digit_strategy_count_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "count.nfg"
    path.write_text(f'NFG 1 R "x" {{ "a" "b" }} {{ 1 {"9" * 5000} }}\n1 2\n')
    assert_refused(capsys, ["solve", str(path)], "strategy count", "(5000 characters)")


def test_game_file_names_the_file_system_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(capsys, ["solve", "x" * 300 + ".nfg"], "File name too long")
    assert_refused(capsys, ["solve", "line\nbreak.json"], "no such file", "line\\nbreak.json")  # one line


def test_a_named_pipe_is_not_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    assert_refused(capsys, ["solve", str(pipe)], "is not a regular file")  # reading would block forever


# -- files written -------------------------------------------------------------------------------------------------
DYNAMICS = ["dynamics", "bilinear", "--method", "gda", "--steps", "5"]


@pytest.mark.parametrize("target", ["/proc/x.png", "/proc/self/x.png"])
def test_plot_into_proc_refused(capsys: pytest.CaptureFixture[str], target: str) -> None:
    assert_refused(capsys, [*DYNAMICS, "--plot", target], "dynamics --plot: cannot write in")


def test_plot_into_a_read_only_directory_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user (root) writes into read-only directories; /proc covers the refusal")
        assert_refused(capsys, [*DYNAMICS, "--plot", str(folder / "x.png")], "dynamics --plot: cannot write in",
                       "Permission denied")
    finally:
        folder.chmod(0o755)


def test_plot_onto_a_directory_refused_before_the_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "figure.png"
    folder.mkdir()
    assert_refused(capsys, [*DYNAMICS, "--plot", str(folder)], "is a directory")
    assert list(tmp_path.iterdir()) == [folder]  # no probe or temporary file left


# -- pricing ranges --------------------------------------------------------------------------------------------
PRICING = ["pricing", "--no-progress"]


def test_pricing_mu_1e_300_refused_naming_mu(capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(capsys, [*PRICING, "--mu", "1e-300"], "pricing --mu:", "floats cannot resolve")


def test_pricing_quality_1e308_refused_naming_quality(capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(capsys, [*PRICING, "--quality", "1e308"], "pricing --quality:", "more than 1e+09")


def test_pricing_seed_1e23_refused_naming_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(capsys, [*PRICING, "--seed", "1e23"], "pricing --seed:", "at most 2^64 - 1")
    assert_refused(capsys, [*PRICING, "--seed", "100000000000000000000000"], "pricing --seed:")


def test_pricing_sessions_1e9_refused_with_memory_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    err = assert_refused(capsys, [*PRICING, "--sessions", "1e9"], "pricing --sessions:",
                         "1,000,000,000 sessions would need about", "GiB of memory", "more than the limit of 4.0 GiB")
    assert time.perf_counter() - started < 2 and "2,311.5 GiB" in err


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--memory", "1000000000", "Q entries"),
    ("--firms", "1e18", "Q entries"),
    ("--prices", "100000", "Q entries"),
    ("--beta", "1e-300", "exp(-beta) rounds to 1"),
    ("--discount", "0.99999999999999999", "delta must be in [0, 1), got 1.0"),
    ("--quality", "-5", "Nash and monopoly prices agree"),
    ("--xi", "1e300", "lowest grid price below 0"),
    ("--max-periods", "9223372036854775808", "at most 2^63 - 1"),
    ("--outside", "1e300", "outside 1e+300"),
])
def test_pricing_flags_outside_the_computable_domain_are_named(capsys: pytest.CaptureFixture[str], flag: str,
                                                               value: str, message: str) -> None:
    started = time.perf_counter()
    assert_refused(capsys, [*PRICING, flag, value], f"pricing {flag}:", message)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "0x10", "1_000", "١٢", " 1", "",
                                   "1e99999999999999999999"])
def test_pricing_numbers_are_plain_ascii_and_finite(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert_refused(capsys, [*PRICING, f"--mu={value}"], "argument --mu:")


def test_an_exponent_beyond_decimals_range_is_a_usage_error_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    # Was: decimal.InvalidOperation escaping argparse (it is not a ValueError), a traceback out of main().
    for argv in (["solve", "chicken", "--max-seconds=1e99999999999999999999"],
                 ["dynamics", "bilinear", "--method", "gda", "--steps=0e999999999999999999999"]):
        assert_refused(capsys, argv, "its exponent is out of range")


def test_pricing_is_scale_free_inside_the_domain(capsys: pytest.CaptureFixture[str]) -> None:
    # Every level and mu times 1e29: prices times 1e29, the same sessions and profit gains.
    fast = ["--prices", "5", "--beta", "2e-4", "--window", "500", "--sessions", "3", "--format", "json"]
    documents = []
    for scale in ("1", "1e29"):
        k = float(scale)
        code, out, _ = run_cli(capsys, *PRICING, *fast, "--quality", repr(2 * k), "--cost", repr(k),
                               "--mu", repr(0.25 * k))
        assert code == 0
        documents.append(json.loads(out))
    assert documents[1]["market"]["nash_price"] == pytest.approx(1e29 * documents[0]["market"]["nash_price"],
                                                                 rel=1e-12)
    assert documents[1]["profit_gain_mean"] == pytest.approx(documents[0]["profit_gain_mean"], rel=1e-9)
    assert documents[1]["outcome_shares"] == documents[0]["outcome_shares"]


# -- dynamics ----------------------------------------------------------------------------------------------------
def test_dynamics_three_player_matching_pennies_cgd_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # Was: internal error (AssertionError inside JAX's conjugate gradients under jacfwd), on every simplex game.
    code, out, err = run_cli(capsys, "dynamics", "three-player-matching-pennies", "--method", "cgd", "--steps", "200",
                             "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    eta = 0.1  # CGD's iteration matrix (I + eta J)^-1 there: modulus 1 / sqrt(1 - 2 eta + 4 eta^2)
    assert document["linear_analysis"]["spectral_radius"] == pytest.approx((1 - 2 * eta + 4 * eta**2) ** -0.5,
                                                                           rel=1e-7)
    # The default start is on the stable eigenvector (eigenvalue 1 / 1.2): it converges, and the report says why
    # that is no contradiction, with a perturbed start that leaves.
    outcome = document["outcome"]
    assert outcome["last_iterate"] == "converged" and outcome["perturbed_start"]["response"] == "grows"
    assert "although the linearisation is unstable" in outcome["note"]


UNIFORM3 = "0.5,0.5;0.5,0.5;0.5,0.5"


def test_dynamics_start_at_a_rest_point_says_so_and_runs_a_perturbed_start(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "dynamics", "three-player-matching-pennies", "--method", "gda", "--steps", "300",
                           "--start", UNIFORM3, "--format", "json")
    assert code == 0
    document = json.loads(out)
    outcome = document["outcome"]
    assert outcome["last_iterate"] == "at rest" and outcome["started_at_rest_point"] is True
    assert outcome["perturbed_start"]["response"] == "grows"
    assert outcome["perturbed_start"]["start_separation"] == pytest.approx(1e-6, rel=1e-9)
    table = _dynamics_table(document)  # the table is drawn from the same document
    assert "outcome        last iterate at rest" in table
    note = next(line for line in table.splitlines() if line.strip().startswith("NOTE:"))
    assert "started at a rest point" in note and "the linearisation is unstable" in note and "diverges" in note
    assert "converged" not in table  # never the bare word beside an unstable spectral radius


def test_dynamics_default_start_converging_against_an_unstable_linearisation_is_qualified(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "dynamics", "three-player-matching-pennies", "--method", "gda", "--steps", "300",
                           "--format", "json")
    document = json.loads(out)
    assert document["start"]["from"] == "default"
    assert document["linear_analysis"]["classification"] == "diverging"
    outcome = document["outcome"]
    assert outcome["last_iterate"] == "converged" and outcome["perturbed_start"]["response"] == "grows"
    assert outcome["note"].startswith("converged although the linearisation is unstable")


def test_dynamics_seed_gives_a_reproducible_random_start(capsys: pytest.CaptureFixture[str]) -> None:
    import jax

    from equilibria.dynamics.report import random_start
    from equilibria.games import zoo

    game = zoo.get("rock-paper-scissors").mixed_extension()
    starts = []
    for seed in (5, 6):
        code, out, _ = run_cli(capsys, "dynamics", "rock-paper-scissors", "--method", "hedge", "--steps", "10",
                               "--seed", str(seed), "--format", "json")
        document = json.loads(out)
        assert code == 0 and document["start"] == {**document["start"], "from": "--seed", "seed": seed}
        with jax.enable_x64(True):  # as the command runs
            expected = random_start(game, (jax.numpy.ones(3) / 3,) * 2, key=jax.random.key(seed))
            assert document["start"]["profile"] == [[float(x) for x in p] for p in expected]
        starts.append(document["start"]["profile"])
    assert starts[0] != starts[1]
    for strategy in starts[0]:
        assert min(strategy) >= 0 and sum(strategy) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("extra", "message"), [
    (["--start", "0.5,0.5"], "dynamics --start: profile: 1 player(s) given, the game has 3"),
    (["--start", "0.5,0.6;0.5,0.5;0.5,0.5"], "sum to 1"),
    (["--start", "a,b;c,d;e,f"], "'a' is not a number"),
    (["--start", UNIFORM3, "--seed", "1"], "not allowed with argument"),
    (["--seed", "-1"], "dynamics --seed: expected an integer in [0, 2^63 - 1]"),
    (["--seed", "9223372036854775808"], "[0, 2^63 - 1]"),
    (["--steps", "1e12"], "argument --steps: expected at most 2147483647 steps"),
    (["--lr", "2", "--method", "best_response"], "dynamics --lr:"),
])
def test_dynamics_start_seed_and_size_errors(capsys: pytest.CaptureFixture[str], extra: list[str],
                                             message: str) -> None:
    argv = ["dynamics", "three-player-matching-pennies", "--method", "gda", "--steps", "5", *extra]
    if "--method" in extra:
        argv = [a for a in argv[:4] if a not in ("--method", "gda")] + ["--steps", "5", *extra]
    assert_refused(capsys, argv, message)


# -- pricing honesty ---------------------------------------------------------------------------------------------
FAST = ["pricing", "--prices", "5", "--beta", "2e-4", "--window", "500", "--sessions", "4", "--no-progress"]


def test_pricing_max_periods_1_reports_that_no_session_converged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, *FAST, "--max-periods", "1")
    assert code == 0
    assert err.startswith("equilibria: warning: no session converged within --max-periods 1")
    assert "0 converged" in out and "WARNING: no session converged" in out
    assert "profit gain Delta [UNCONVERGED sessions, not learned outcomes]" in out
    assert "profit gain Delta: mean" not in out  # the unlabelled statistic is withheld
    code, out, err = run_cli(capsys, *FAST, "--max-periods", "1", "--format", "json")
    document = json.loads(out)
    assert document["converged"] == 0 and document["warning"].startswith("no session converged")
    assert document["profit_gain_mean"] is None and document["outcome_shares"] is None
    assert document["unconverged"]["sessions"] == 4 and "profit_gain_mean" in document["unconverged"]


def test_pricing_partial_convergence_reports_converged_sessions_only(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, *FAST, "--max-periods", "3000", "--sessions", "8", "--format", "json")
    document = json.loads(out)
    converged = document["converged"]
    assert code == 0 and 0 < converged < 8, "the configuration must leave some sessions unconverged"
    assert f"{8 - converged} of 8 sessions did not converge" in document["warning"] and "warning" in err
    assert document["unconverged"]["sessions"] == 8 - converged
    assert sum(document["outcome_shares"].values()) == pytest.approx(1.0)


def test_pricing_all_converged_has_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, *FAST, "--format", "json")
    document = json.loads(out)
    assert code == 0 and err == "" and document["warning"] is None and document["unconverged"] is None
    assert document["converged"] == 4
