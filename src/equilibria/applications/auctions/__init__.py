"""Auctions as an ML application, among them optimal mechanisms learned as neural networks (RochetNet, a menu of
lotteries for one bidder, incentive compatible by construction; RegretNet, allocation and payment networks for
several bidders trained against their ex-post regret), next to the known optimal mechanisms they must rediscover
and the exact revenues of those (``menus``). Import the submodules directly (e.g.
``equilibria.applications.auctions.rochet_net``): this package imports nothing, so importing it costs no JAX."""
