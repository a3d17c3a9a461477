"""The zoo: named games with known answers (``equilibria games`` lists them)."""

from equilibria.games.zoo.normal_form import ENTRIES, ZooEntry, entry, get, known_profiles_as_arrays, names

__all__ = ["ENTRIES", "ZooEntry", "entry", "get", "known_profiles_as_arrays", "names"]
