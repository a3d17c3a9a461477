"""Names as users type them (issue 16): any case and separator, the field's abbreviations, close-name suggestions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equilibria.core.errors import GameError
from equilibria.core.names import aliases_of, closest, lookup_table, name_key, resolve
from equilibria.dynamics.methods import ALIASES as METHOD_ALIASES
from equilibria.dynamics.methods import METHODS, method
from equilibria.games.zoo import extensive_form as tree_zoo
from equilibria.games.zoo import normal_form as normal_form_zoo
from equilibria.games.zoo._lookup import GAME_ALIASES
from equilibria.solvers import ALIASES, EXTENSIVE_FORM, SOLVERS, TREE_ALIASES, canonical_method


def test_name_key_ignores_case_and_separators() -> None:
    assert name_key("Rock-Paper_Scissors") == name_key("rock paper  scissors") == "rock_paper_scissors"
    assert name_key(" rm+ ") == "rm+"
    assert name_key("--ogda--") == "ogda"


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_canonical_name_survives_any_spelling(data: st.DataObject) -> None:
    tables = [list(METHODS), list(normal_form_zoo.names()), list(tree_zoo.names()),
              [n for n, s in SOLVERS.items() if s.game_kind != EXTENSIVE_FORM]]
    known = data.draw(st.sampled_from(tables))
    name = data.draw(st.sampled_from(known))
    separators = data.draw(st.lists(st.sampled_from(["-", "_", " "]), min_size=name.count("-") + name.count("_"),
                                    max_size=name.count("-") + name.count("_")))
    parts = name.replace("-", "_").split("_")
    typed = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=True))
    typed = typed.upper() if data.draw(st.booleans()) else typed
    assert resolve(typed, known, kind="name") == name


@pytest.mark.parametrize(("typed", "canonical"), [
    ("ogda", "optimistic_gda"), ("eg", "extragradient"), ("rm", "regret_matching"), ("rm+", "regret_matching_plus"),
    ("fp", "fictitious_play"), ("MWU", "hedge"), ("optimistic-gda", "optimistic_gda"), ("Alt-GDA", "alternating_gda"),
])
def test_dynamics_abbreviations(typed: str, canonical: str) -> None:
    assert method(typed).name == canonical


@pytest.mark.parametrize(("typed", "canonical"), [
    ("rps", "rock-paper-scissors"), ("pd", "prisoners-dilemma"), ("prisoners_dilemma", "prisoners-dilemma"),
    ("BoS", "battle-of-the-sexes"), ("Matching Pennies", "matching-pennies"),
])
def test_game_abbreviations(typed: str, canonical: str) -> None:
    assert normal_form_zoo.entry(typed).name == canonical


def test_tree_game_abbreviations() -> None:
    assert tree_zoo.entry("kuhn").name == "kuhn-poker"
    assert tree_zoo.entry("Leduc_Poker").name == "leduc-poker"


@pytest.mark.parametrize(("typed", "kind", "canonical"), [
    ("LH", "normal_form", "lemke_howson"), ("vertex-enumeration", "normal_form", "vertex_enumeration"),
    ("cfr-plus", EXTENSIVE_FORM, "cfr+"), ("Sequence-Form-LP", EXTENSIVE_FORM, "sequence_form_lp"),
])
def test_solver_names(typed: str, kind: str, canonical: str) -> None:
    assert canonical_method(typed, kind) == canonical


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(GameError, match="did you mean extragradient"):
        method("extragradiant")
    with pytest.raises(KeyError, match="did you mean rock-paper-scissors"):
        normal_form_zoo.entry("rock-paper-sissors")
    with pytest.raises(GameError, match="did you mean lemke_howson"):
        canonical_method("lemkehowson")
    with pytest.raises(GameError, match=r"'cfr' is a method for extensive-form games"):
        canonical_method("cfr")


def test_nothing_close_lists_where_to_look() -> None:
    with pytest.raises(GameError, match=r"unknown dynamics method 'zzzz' \(see `equilibria dynamics --help`\)$"):
        method("zzzz")
    with pytest.raises(GameError, match=r"unknown colour 'q' \(known: blue, red\)$"):
        resolve("q", ["red", "blue"], kind="colour")


def test_every_alias_points_at_a_known_name() -> None:
    every_game = set(normal_form_zoo.names()) | set(tree_zoo.names())
    from equilibria.games.zoo import differentiable, general_sum_trees, stochastic

    every_game |= set(differentiable.names()) | set(general_sum_trees.names()) | set(stochastic.names())
    assert set(GAME_ALIASES.values()) <= every_game
    assert set(METHOD_ALIASES.values()) <= set(METHODS)
    assert set(ALIASES.values()) | set(TREE_ALIASES.values()) <= set(SOLVERS)


def test_an_alias_never_shadows_a_canonical_name() -> None:
    for known, aliases in ((METHODS, METHOD_ALIASES), (list(normal_form_zoo.names()), GAME_ALIASES)):
        keys = {name_key(n) for n in known}
        for alias in aliases:
            assert name_key(alias) not in keys or lookup_table(known, aliases)[name_key(alias)] == aliases[alias]


def test_helpers() -> None:
    table = lookup_table(["optimistic_gda", "gda"], {"ogda": "optimistic_gda", "x": "absent"})
    assert table == {"optimistic_gda": "optimistic_gda", "gda": "gda", "ogda": "optimistic_gda"}
    assert closest("ogd", table)[0] == "optimistic_gda"
    assert aliases_of("optimistic_gda", {"ogda": "optimistic_gda", "eg": "extragradient"}) == ["ogda"]
