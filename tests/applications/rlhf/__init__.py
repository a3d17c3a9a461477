"""Tests of equilibria.applications.rlhf."""
