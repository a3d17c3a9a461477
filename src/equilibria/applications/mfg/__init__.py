"""Mean-field games as approximations of finite games (issue 18): the N-player check
(:mod:`~equilibria.applications.mfg.n_player`), which simulates N agents playing a mean-field equilibrium policy
and measures what one of them could gain by deviating."""
