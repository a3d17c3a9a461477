"""Tests of equilibria.applications.auctions."""
