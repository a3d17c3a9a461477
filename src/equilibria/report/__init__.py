"""The HTML report of ``equilibria reproduce``."""
