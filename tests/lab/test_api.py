"""The lab's JSON API through Starlette's TestClient: every endpoint with good, bad and oversized input.

Numbers are checked against the library and the literature: the lesson tree's facts recorded in the zoo (value 7,
principal variation C -> C1 -> C1a, alpha-beta never evaluating A2b, B2a, B2b, C2b), battle of the sexes' three
equilibria, rock-paper-scissors' uniform equilibrium, simultaneous GDA's spectral radius sqrt(1 + 3 eta^2) at
rock-paper-scissors' equilibrium (the field's eigenvalues are +-i sqrt 3), each certificate recomputed by
``metrics``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from equilibria.games.normal_form import NormalFormGame  # noqa: E402
from equilibria.games.zoo import extensive_form as tree_zoo  # noqa: E402
from equilibria.lab.app import STATIC, create_app  # noqa: E402
from equilibria.lab.limits import Limits  # noqa: E402
from equilibria.metrics.regret import max_regret  # noqa: E402
from equilibria.solvers.tree_search import Cutoff, alphabeta_solve, minimax_solve  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def client(reports_dir: Path, limits: Limits) -> Iterator[TestClient]:
    with TestClient(create_app(reports=reports_dir, limits=limits), raise_server_exceptions=False) as c:
        yield c


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert isinstance(message, str) and message and "\n" not in message
    return message


# -- pages -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/minimax", "/dynamics", "/solve", "/reports"])
def test_every_page_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "/static/lab.js" in response.text


def test_assets_are_vendored_no_network_at_run_time(client: TestClient) -> None:
    for asset in sorted(STATIC.iterdir()):
        text = asset.read_text(encoding="utf-8")
        # The only URL allowed is SVG's XML namespace (an identifier, never fetched).
        assert "://" not in text.replace("http://www.w3.org/2000/svg", ""), asset.name
        assert client.get(f"/static/{asset.name}").status_code == 200


def test_unknown_paths_and_methods_are_json_errors(client: TestClient) -> None:
    assert "no such page" in _error(client.get("/api/nothing"), 404)
    assert "not allowed" in _error(client.get("/api/solve"), 405)


def test_limits_are_published(client: TestClient, limits: Limits) -> None:
    assert client.get("/api/limits").json()["max_steps"] == limits.max_steps


# -- minimax ---------------------------------------------------------------------------------------------------


def test_the_lesson_tree_matches_the_zoo_and_the_library(client: TestClient) -> None:
    facts = tree_zoo.entry("minimax-lesson").search
    assert facts is not None
    data = client.post("/api/minimax", json={}).json()
    labels = [n["label"] for n in data["nodes"]]
    game = tree_zoo.get("minimax-lesson")
    library_value = float(minimax_solve(game).parameters["value"][0])
    assert data["minimax"]["value"] == data["alphabeta"]["value"] == library_value == float(facts.value) == 7
    assert [labels[k] for k in data["alphabeta"]["principal_variation"][1:]] == list(facts.principal_variation)
    assert sorted(labels[k] for k in data["alphabeta"]["skipped_leaves"]) == sorted(facts.pruned_leaves)
    assert data["alphabeta"]["leaves_evaluated"] == facts.evaluated_leaves == 8
    assert data["minimax"]["leaves_evaluated"] == 12 and data["alphabeta"]["leaves_skipped"] == 4
    assert data["alphabeta"]["exploitability"] == data["minimax"]["exploitability"] == 0
    # The trace is the library's own, event for event (the zoo tree and the lab's rebuilt tree agree label for label).
    library = alphabeta_solve(game, ordering="none", trace=True)
    assert [e["kind"] for e in data["alphabeta"]["events"]] == [e.kind for e in library.parameters["trace"]]
    cut = [labels[k] for e in library.parameters["trace"] if isinstance(e, Cutoff) for k in e.pruned]
    assert cut == [labels[k] for e in data["alphabeta"]["events"] if e["kind"] == "cutoff" for k in e["pruned"]]
    assert cut == ["A2b", "B2", "C2b"]
    assert labels == ["root", *game.node_labels[1:]]


def test_edited_leaves_change_the_answer(client: TestClient) -> None:
    # MAX over two MIN nodes: min(3, 5) = 3 and min(2, 9) <= 2, so the root is 3 and alpha-beta never reads the 9.
    data = client.post("/api/minimax", json={"tree": "custom", "branching": [2, 2], "leaves": [3, 5, 2, 9]}).json()
    assert data["alphabeta"]["value"] == data["minimax"]["value"] == 3
    assert [data["nodes"][k]["label"] for k in data["alphabeta"]["skipped_leaves"]] == ["B2"]


def test_random_trees_are_seeded(client: TestClient) -> None:
    request = {"tree": "random", "depth": 3, "branching": 3, "seed": 11}
    first, again = (client.post("/api/minimax", json=request).json() for _ in range(2))
    assert first["leaves"] == again["leaves"] and len(first["leaves"]) == 27
    assert first["alphabeta"]["value"] == first["minimax"]["value"]
    other = client.post("/api/minimax", json={**request, "seed": 12}).json()
    assert other["leaves"] != first["leaves"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"tree": "forest"}, 400, "tree must be"),
    ({"tree": "random", "depth": 6, "branching": 6}, 400, "over the limit of 200"),
    ({"tree": "random", "depth": 99}, 400, "depth must be an integer"),
    ({"tree": "custom", "branching": [2, 2], "leaves": [1, 2, 3]}, 400, "has 4 leaves"),
    ({"tree": "custom", "branching": [2, 0], "leaves": [1]}, 400, "branching[1]"),
    ({"tree": "custom", "branching": [2], "leaves": ["a", 1]}, 400, "leaves[0] must be a finite number"),
    ({"tree": "custom", "branching": [2], "leaves": [1e308, 1e309]}, 400, "not a number JSON allows"),
    ({"ordering": "random"}, 400, "ordering must be"),
])
def test_minimax_refuses_bad_trees(client: TestClient, body: dict[str, Any], status: int, words: str) -> None:
    raw = json.dumps(body).replace("1e+309", "Infinity").replace("Infinity", "Infinity")
    response = client.post("/api/minimax", content=raw.replace("1e309", "Infinity"),
                           headers={"content-type": "application/json"})
    assert words in _error(response, status)


# -- dynamics --------------------------------------------------------------------------------------------------


def test_dynamics_on_rock_paper_scissors(client: TestClient) -> None:
    eta = 0.05
    data = client.post("/api/dynamics", json={"game": "rps", "steps": 200, "methods": [
        {"name": "gda", "step_size": eta}, {"name": "rm"}]}).json()
    assert data["drawing"] == "simplex" and data["equilibrium"] == [[1 / 3] * 3] * 2
    gda, rm = data["runs"]
    # Projected GDA at the interior equilibrium: I - eta J with eigenvalues of J = +-i sqrt 3, so |1 +- i eta sqrt 3|.
    assert gda["spectral_radius"] == pytest.approx(math.sqrt(1 + 3 * eta**2), abs=1e-9)
    assert gda["classification"] == "diverging"
    start = np.concatenate(data["start"]) - 1 / 3
    assert gda["values"][0] == pytest.approx(float(np.linalg.norm(start)), abs=1e-12)
    assert gda["values"][-1] > gda["values"][0] and gda["completed"] and gda["steps"][-1] == 200
    assert len(gda["steps"]) == len(gda["values"]) == len(gda["params"][0]) <= Limits().max_points
    assert all(abs(sum(p) - 1) < 1e-9 for p in gda["params"][0])
    assert rm["spectral_radius"] is None and "not computed" in rm["spectral_radius_note"]
    assert rm["step_size"] is None and rm["metric"] == "distance"


@pytest.mark.parametrize(("body", "words"), [
    ({"game": "rps", "methods": [{"name": "gdaa"}]}, "gda"),  # the closest names are suggested
    ({"game": "rsp", "methods": [{"name": "gda"}]}, "rock-paper-scissors"),
    ({"game": "rps", "methods": [{"name": "gda"}] * 4}, "over the limit of 3"),
    ({"game": "rps", "steps": 10**6, "methods": [{"name": "gda"}]}, "steps must be an integer in [1, 2000]"),
    ({"game": "rps", "methods": [{"name": "gda", "step_size": -1}]}, "step_size must be a positive number"),
    ({"game": "rps", "methods": []}, "methods must be a non-empty list"),
    ({"game": "rps", "methods": ["gda"]}, "methods[0] must be an object"),
    ({"game": "bilinear", "methods": [{"name": "hedge"}]}, "normal-form learner"),
    ({"game": "bimatrix", "row": "1 2 3\n4 5 6", "column": "1 2 3\n4 5 6", "methods": [{"name": "gda"}]},
     "2x2 and 3x3"),
    ({"game": "bimatrix", "row": "1 2", "methods": [{"name": "gda"}]}, "column must be text"),
])
def test_dynamics_refuses_bad_requests(client: TestClient, body: dict[str, Any], words: str) -> None:
    assert words in _error(client.post("/api/dynamics", json=body), 400)


def test_dynamics_options_list_the_menu(client: TestClient) -> None:
    options = client.get("/api/dynamics/options").json()
    assert {"rock-paper-scissors", "matching-pennies", "shapley", "bilinear", "dirac-gan", "bimatrix"} == set(
        options["games"])
    assert {m["name"] for m in options["methods"]} >= {"gda", "alternating_gda", "optimistic_gda", "extragradient",
                                                         "consensus", "hedge", "optimistic_hedge", "regret_matching",
                                                         "fictitious_play", "replicator"}


# -- solve -----------------------------------------------------------------------------------------------------


def _certified(game: NormalFormGame, strategies: list[list[float]]) -> float:
    return float(max_regret(game, [np.asarray(s) for s in strategies]))


def test_battle_of_the_sexes_pasted(client: TestClient) -> None:
    data = client.post("/api/solve", json={"row": "2 0\n0 1", "column": "1, 0\n0, 2"}).json()
    game = NormalFormGame.bimatrix([[2, 0], [0, 1]], [[1, 0], [0, 2]])
    found = sorted(tuple(round(p, 9) for p in (*s[0], *s[1])) for s in (e["strategies"] for e in data["equilibria"]))
    assert found == [(0, 1, 0, 1), (round(2 / 3, 9), round(1 / 3, 9), round(1 / 3, 9), round(2 / 3, 9)), (1, 0, 1, 0)]
    assert data["complete"] is True and data["converged"] is True
    for e in data["equilibria"]:
        assert e["max_regret"] == pytest.approx(_certified(game, e["strategies"]), abs=1e-12)
        assert e["max_regret"] <= 1e-12
    picture = data["best_response"]
    lines, two = picture["lines"], picture["correspondence"]["player2"]
    # At p = 2/3 player 2 is indifferent (both columns pay 2/3); below it plays c2, above c1.
    k = two["x"].index(min(two["x"], key=lambda x: abs(x - 2 / 3)))
    assert two["best"][k] == [0, 1] and two["best"][0] == [1] and two["best"][-1] == [0]
    assert lines["payoffs"][k] == pytest.approx([2 / 3, 2 / 3])


def test_rock_paper_scissors_uniform_with_certificate(client: TestClient) -> None:
    data = client.post("/api/solve", json={"row": "0 -1 1\n1 0 -1\n-1 1 0", "column": "0 1 -1\n-1 0 1\n1 -1 0",
                                            "all": False}).json()
    assert data["method"] == "zero_sum_lp" and data["best_response"] is None
    (equilibrium,) = data["equilibria"]
    assert np.allclose(equilibrium["strategies"], 1 / 3, atol=1e-9) and equilibrium["max_regret"] <= 1e-9


def test_fractions_are_exact_with_rational(client: TestClient) -> None:
    data = client.post("/api/solve", json={"row": "1/3 0\n0 2/3", "column": "2/3 0\n0 1/3",
                                            "method": "vertex_enumeration", "rational": True}).json()
    # Player 1 mixes to leave player 2 indifferent: (2/3) p = (1/3) (1 - p), so p = 1/3 exactly.
    assert data["rational"] and ["1/3", "2/3"] in [e["strategies"][0] for e in data["equilibria"]]


def test_uploaded_files_are_parsed_from_their_text(client: TestClient) -> None:
    nfg = client.post("/api/solve", json={"input": "nfg", "text": (EXAMPLES / "game.nfg").read_text()}).json()
    assert nfg["shape"] == [3, 2] and nfg["players"] == ["row", "column"] and nfg["equilibria"]
    assert nfg["best_response"]["lines"]["mixer"] == 1  # the column player has the two actions
    from equilibria.games.io import dumps_efg, dumps_json_game

    lesson = client.post("/api/solve", json={"input": "efg", "text": dumps_efg(tree_zoo.get("minimax-lesson")),
                                              "method": "alphabeta"}).json()
    assert lesson["kind"] == "extensive_form" and lesson["value"] == 7
    assert lesson["equilibria"][0]["exploitability"] == 0
    pd = NormalFormGame.bimatrix([[3, 0], [5, 1]], [[3, 5], [0, 1]], name="pd")
    doc = client.post("/api/solve", json={"input": "json", "text": dumps_json_game(pd)}).json()
    assert [e["strategies"] for e in doc["equilibria"]] == [[[0, 1], [0, 1]]]


def test_the_time_limit_is_reported(reports_dir: Path) -> None:
    limits = Limits(max_seconds=1e-3, max_payoff_entries=2000)
    rng = np.random.default_rng(0)
    row, column = (rng.integers(-9, 10, size=(14, 14)) for _ in range(2))
    text = ["\n".join(" ".join(str(v) for v in r) for r in m) for m in (row, column)]
    with TestClient(create_app(reports=reports_dir, limits=limits)) as c:
        data = c.post("/api/solve", json={"row": text[0], "column": text[1], "method": "support_enumeration"}).json()
    assert data["converged"] is False and data["stopped_because"]


@pytest.mark.parametrize(("body", "words"), [
    ({"row": "1 2\n3", "column": "1 2\n3 4"}, "rows have different lengths"),
    ({"row": "1 nan\n3 4", "column": "1 2\n3 4"}, "line 1, entry 2"),
    ({"row": "1 2\n3 4", "column": "1 2 3\n4 5 6"}, "same shape"),
    ({"row": "\n".join(" ".join(["1"] * 15) for _ in range(15)), "column": "1"}, "over the limit"),
    ({"row": "1 2\n3 4", "column": "1 2\n3 4", "method": "lemke_howsen"}, "lemke_howson"),
    ({"row": "1 2\n3 4", "column": "1 2\n3 4", "method": 3}, "method must be"),
    ({"row": 5, "column": "1"}, "row must be text"),
    ({"input": "xls", "text": "1"}, "input must be one of"),
    ({"input": "nfg", "text": "NFG 1 R oops"}, "nfg"),
    ({"input": "json", "text": '{"type": "stochastic"}'}, "stochastic"),
    ({"input": "efg"}, "text is required"),
])
def test_solve_refuses_bad_games(client: TestClient, body: dict[str, Any], words: str) -> None:
    assert words in _error(client.post("/api/solve", json=body), 400)


@pytest.mark.parametrize(("content", "words"), [
    (b"not json", "not JSON"), (b"[1, 2]", "must be a JSON object"), (b'{"row": NaN}', "not strict JSON"),
    (b"\xff\xfe", "not UTF-8"), (b"[" * 30_000, "nested too deeply"),
])
def test_malformed_bodies(client: TestClient, content: bytes, words: str) -> None:
    message = _error(client.post("/api/solve", content=content, headers={"content-type": "application/json"}), 400)
    assert words in message


def test_oversized_bodies_get_413(client: TestClient, limits: Limits) -> None:
    big = json.dumps({"row": "1 " * limits.max_body_bytes, "column": "1"})
    assert "over the limit" in _error(client.post("/api/solve", content=big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds on the bytes actually read
        yield b'{"row": "'
        for _ in range(limits.max_body_bytes // 1024 + 1):
            yield b"1 " * 512
        yield b'"}'

    assert "over the limit" in _error(client.post("/api/minimax", content=chunks()), 413)
    assert client.post("/api/minimax", json={}).status_code == 200  # and the server goes on


def test_solve_options(client: TestClient) -> None:
    options = client.get("/api/solve/options").json()
    assert "vertex_enumeration" in {s["name"] for s in options["normal_form"]}
    assert "alphabeta" in {s["name"] for s in options["extensive_form"]}


# -- reports ---------------------------------------------------------------------------------------------------


def test_reports_are_listed_and_served(client: TestClient) -> None:
    listing = client.get("/api/reports").json()
    assert listing["exists"] and listing["index"]
    assert [e["name"] for e in listing["experiments"]] == ["minimax-stepper"] and listing["experiments"][0]["passed"]
    assert sorted(listing["files"]) == ["figures/tree.svg", "index.html", "results.json"]  # not the link out
    assert "Reproduction report" in client.get("/reports/index.html").text
    assert "Reproduction report" in client.get("/reports/").text
    assert client.get("/reports/figures/tree.svg").headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize("path", [
    "/reports/../secret.txt", "/reports/%2e%2e/secret.txt", "/reports/figures/%2e%2e/%2e%2e/secret.txt",
    "/reports//etc/passwd", "/reports/%2Fetc%2Fpasswd", "/reports/escape", "/reports/missing.html",
    "/reports/figures/..%5C..%5Csecret.txt", "/reports/C:%5Cwindows",
])
def test_reports_never_leave_their_folder(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "outside" not in response.text


def test_without_a_reports_folder(tmp_path: Path) -> None:
    with TestClient(create_app(reports=tmp_path / "none", limits=Limits())) as c:
        assert c.get("/api/reports").json()["exists"] is False
        assert c.get("/reports/index.html").status_code == 404


def test_fraction_inputs_reach_the_game_exactly() -> None:
    from equilibria.lab.matrices import bimatrix_game

    game = bimatrix_game({"row": "1/3 0.1\n2 -4", "column": [[1, 2.5], ["3/7", 0]]}, 100)
    assert game.fraction_payoffs()[0, 0, 0] == Fraction(1, 3) and game.fraction_payoffs()[1, 1, 0] == Fraction(3, 7)
