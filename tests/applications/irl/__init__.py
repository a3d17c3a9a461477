"""Tests of equilibria.applications.irl."""
