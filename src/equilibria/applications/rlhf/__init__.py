"""Reward learning from human preferences (RLHF) as mechanism design: preference data from simulated evaluators,
Bradley-Terry reward models. Import the submodules directly (e.g. ``equilibria.applications.rlhf.preferences``):
this package imports nothing, so importing it costs no JAX."""
