"""Every mean-field environment by the name users type: the zoo's classics (:mod:`.mean_field`), the
applications (:mod:`.mean_field_applications`) and the routing games (:mod:`.mean_field_routing`), each built with
parameters given as text (``--param NAME=VALUE``).

A name another zoo already holds (``rock-paper-scissors`` is a normal-form game) is listed here as
``mean-field-<name>``; :func:`get` with ``mean_field_only`` (the ``equilibria mfg`` command) takes the short name
too. Parameters are the factory's keyword arguments: a number, or comma-separated numbers for a sequence
(``weights=2,4,6``); an integer parameter takes only a whole number. Importing this module imports no JAX.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from equilibria.core.errors import GameError
from equilibria.games.zoo._lookup import GAME_ALIASES, find

MEAN_FIELD_PREFIX = "mean-field-"
# Short names that mean an environment here (the zoo-wide abbreviations are _lookup.GAME_ALIASES').
MEAN_FIELD_ALIASES: Mapping[str, str] = {
    "sis": "susceptible-infected", "crowd-modelling-2d": "crowd-motion", "crowd-modeling": "crowd-modelling",
    "crowd-modeling-2d": "crowd-motion", "evacuation": "building-evacuation", "dynamic-routing": "braess",
    "lq": "linear-quadratic", "mean-field-rps": "mean-field-rock-paper-scissors",
    "stationary-sis": "stationary-susceptible-infected",
}


@dataclass(frozen=True)
class MeanFieldEntry:
    """One environment: its listed name, the factory, and the first line of the factory's docstring."""

    name: str
    factory: Callable[..., Any]
    description: str

    def game(self, params: Mapping[str, str] | None = None) -> Any:
        """The environment built with ``params`` (text values, module docstring) over the factory's defaults."""
        return self.factory(**parse_parameters(self, params or {}))

    def parameters(self) -> dict[str, Any]:
        """The factory's keyword parameters and their defaults."""
        return {name: p.default for name, p in inspect.signature(self.factory).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _registries() -> dict[str, Callable[..., Any]]:
    from equilibria.games.zoo import (
        mean_field,
        mean_field_applications,
        mean_field_routing,
        mean_field_stationary,
        normal_form,
        stochastic,
    )

    taken = {*normal_form.names(), *stochastic.names()}
    merged = {**mean_field.MEAN_FIELD_GAMES, **mean_field_applications.MEAN_FIELD_APPLICATIONS,
              **mean_field_routing.MEAN_FIELD_ROUTING, **mean_field_stationary.MEAN_FIELD_STATIONARY}
    return {(MEAN_FIELD_PREFIX + name if name in taken else name): factory for name, factory in merged.items()}


def _summary(factory: Callable[..., Any]) -> str:
    """The docstring's first sentence, without reStructuredText's literal quotes (for the zoo listing)."""
    doc = " ".join((inspect.getdoc(factory) or "").split("\n\n", 1)[0].split()).replace("``", "")
    return re.split(r"(?<! al)\. ", doc, maxsplit=1)[0].rstrip(".")  # "Perrin et al. 2020" is no full stop


def entries() -> tuple[MeanFieldEntry, ...]:
    """Every environment, in the registries' order."""
    return tuple(MeanFieldEntry(name, factory, _summary(factory)) for name, factory in _registries().items())


def names() -> tuple[str, ...]:
    return tuple(_registries())


def entry(name: str, *, mean_field_only: bool = False) -> MeanFieldEntry:
    """The environment called ``name`` (any case, hyphens or underscores, the aliases); with ``mean_field_only``
    also the short name of one listed as ``mean-field-<name>``. Unknown: a one-line GameError naming close names."""
    table = {e.name: e for e in entries()}
    for alias, target in MEAN_FIELD_ALIASES.items():
        table.setdefault(alias, table[target])
    if mean_field_only:
        for listed in list(table):
            if listed.startswith(MEAN_FIELD_PREFIX):
                table.setdefault(listed[len(MEAN_FIELD_PREFIX):], table[listed])
        # A zoo-wide alias of a name that is a mean-field environment here ("rps") means that environment.
        for alias, target in GAME_ALIASES.items():
            if target in table:
                table.setdefault(alias, table[target])
    return find(table, name, "mean-field", error=GameError)


def get(name: str, params: Mapping[str, str] | None = None, *, mean_field_only: bool = False) -> Any:
    """Build the environment called ``name`` with ``params`` (text values)."""
    return entry(name, mean_field_only=mean_field_only).game(params)


def parse_parameters(entry: MeanFieldEntry, params: Mapping[str, str]) -> dict[str, Any]:
    """``params`` (name -> text) as the factory's keyword arguments; a one-line GameError for an unknown name or
    a value that is not a finite number (or a sequence of them where the default is a sequence)."""
    defaults = entry.parameters()
    parsed: dict[str, Any] = {}
    for key, text in params.items():
        name = key.replace("-", "_")
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise GameError(f"{entry.name}: unknown parameter {key!r} (parameters: {known})")
        parsed[name] = _parse_value(entry.name, name, text, defaults[name])
    return parsed


def _parse_value(environment: str, name: str, text: str, default: Any) -> Any:
    if isinstance(default, bool):
        if text.lower() in {"true", "1", "yes"}:
            return True
        if text.lower() in {"false", "0", "no"}:
            return False
        raise GameError(f"{environment}: parameter {name} expects true or false, got {text!r}")
    if isinstance(default, Sequence) and not isinstance(default, str) or default is None and "," in text:
        return tuple(_number(environment, name, part, None) for part in text.split(","))
    return _number(environment, name, text, default)


def _number(environment: str, name: str, text: str, default: Any) -> float | int:
    try:
        value = float(text.strip())
    except ValueError:
        raise GameError(f"{environment}: parameter {name} expects a number, got {text!r}") from None
    if not math.isfinite(value):
        raise GameError(f"{environment}: parameter {name} expects a finite number, got {text!r}")
    if isinstance(default, int):
        if value != int(value):
            raise GameError(f"{environment}: parameter {name} expects a whole number, got {text!r}")
        return int(value)
    return value


__all__ = ["MEAN_FIELD_ALIASES", "MeanFieldEntry", "entries", "entry", "get", "names", "parse_parameters"]
