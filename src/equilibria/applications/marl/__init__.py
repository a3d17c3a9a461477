"""Multi-agent reinforcement learning in stochastic games (issue 17): the environment and learner protocol
(:mod:`~equilibria.applications.marl.base`), tabular learners, and their exploitability curves."""
