"""Game representations: normal form (this layer's foundation), the zoo of named games, file formats."""

from equilibria.games.normal_form import NormalFormGame

__all__ = ["NormalFormGame"]
