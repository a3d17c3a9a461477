"""The argument parser of ``equilibria``: every command, flag and help text (the contract is in docs/design.md).

Building it imports no JAX, numba, matplotlib or scipy.optimize: the method and game tables it lists are plain data,
and each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse

from equilibria.cli._common import (
    Parser,
    finite_float,
    integer,
    iterations_count,
    nonnegative_float,
    positive_float,
    positive_int,
    steps_count,
)
from equilibria.cli.auction import cmd_auction, number_list, prior_list
from equilibria.cli.dynamics import cmd_dynamics
from equilibria.cli.irl import cmd_irl
from equilibria.cli.lab import cmd_lab
from equilibria.cli.marl import cmd_marl
from equilibria.cli.mfg import cmd_mfg
from equilibria.cli.pricing import cmd_pricing
from equilibria.cli.reproduce import cmd_reproduce, reproduce_help
from equilibria.cli.rlhf import cmd_rlhf
from equilibria.cli.solve import cmd_games, cmd_solve, mean_field_solver_help, solver_help


def build_parser() -> argparse.ArgumentParser:
    from equilibria import __version__
    from equilibria.dynamics.methods import METHODS, help_line

    parser = Parser(prog="equilibria", description="Game theory for machine learning: games, certified "
                     "equilibria, learning dynamics, reproductions.")
    parser.add_argument("--version", action="version", version=f"equilibria {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    games = commands.add_parser("games", help="list the zoo of named games")
    games.add_argument("--format", choices=("table", "json"), default="table")
    games.set_defaults(handler=cmd_games)

    solve = commands.add_parser("solve", help="compute equilibria of a game with a certificate",
                                description="GAME is a zoo name (see `equilibria games`; any case, hyphens or "
                                "underscores, abbreviations such as rps, pd, kuhn) or a .nfg/.efg/.json file. "
                                "Methods [aliases]: " + solver_help())
    solve.add_argument("game", metavar="GAME")
    solve.add_argument("--method", "-m", default=None,
                       help="solver, by name or alias as listed above (default: chosen from the game)")
    solve.add_argument("--all-equilibria", "--all", dest="all_equilibria", action="store_true",
                       help="all (extreme) equilibria (solve(..., all_equilibria=True); --all is the short alias)")
    solve.add_argument("--rational", action="store_true", help="exact fractions (exact solvers only)")
    solve.add_argument("--max-iterations", type=iterations_count, default=None, metavar="N",
                       help="the method's iteration budget (pivots, supports, path steps, CFR iterations); methods "
                            "without one refuse it")
    solve.add_argument("--max-seconds", type=positive_float, default=None,
                       help="stop after this long and return what was found, marked not converged")
    solve.add_argument("--trace", action="store_true",
                       help="print the search's events (alphabeta, minimax, backward_induction on game trees)")
    solve.add_argument("--param", action="append", default=None, metavar="NAME=VALUE",
                       help="a mean-field environment's parameter (repeatable; comma-separated numbers for a "
                            "sequence), e.g. --param infection_rate=0.9")
    solve.add_argument("--format", choices=("table", "json"), default="table")
    solve.set_defaults(handler=cmd_solve)

    dynamics = commands.add_parser(
        "dynamics", help="run a learning dynamic on a game, with metrics, linear analysis and a plot",
        description="GAME is a differentiable zoo game (bilinear, matrix-bilinear, dirac-gan, rps-mixed) or a "
        "normal-form game (zoo name or .nfg/.json file; its mixed extension is used). Methods [aliases] (any case, "
        "hyphens or underscores): " + "; ".join(help_line(m) for m in METHODS.values()))
    dynamics.add_argument("game", metavar="GAME")
    dynamics.add_argument("--method", "-m", required=True, type=dynamics_method, metavar="M",
                          help="the dynamic, by name or alias (see above)")
    dynamics.add_argument("--steps", type=steps_count, default=1000)
    dynamics.add_argument("--lr", type=positive_float, default=0.1, help="learning rate / step size (default 0.1)")
    starts = dynamics.add_mutually_exclusive_group()
    starts.add_argument("--start", default=None, metavar="PROFILE",
                        help="starting profile: players separated by ';', a player's numbers by ',' (mixed "
                             "strategies: probabilities, e.g. '0.2,0.8;0.5,0.5;1/3,2/3'); default: a fixed interior "
                             "profile")
    starts.add_argument("--seed", type=integer, default=None, metavar="S",
                        help="random start from this seed (uniform on each simplex; elsewhere the default start "
                             "plus a standard normal step), an integer in [0, 2^63 - 1]")
    dynamics.add_argument("--max-seconds", type=positive_float, default=None,
                          help="stop the run after this long (counting from the start of the command) and report "
                               "the steps made, marked not completed")
    dynamics.add_argument("--plot", default=None, metavar="FILE", help="write a trajectory figure (.png/.pdf/.svg)")
    dynamics.add_argument("--format", choices=("table", "json"), default="table")
    dynamics.set_defaults(handler=cmd_dynamics)

    from equilibria.applications.marl.registry import help_text

    marl = commands.add_parser(
        "marl", help="run a multi-agent learner on a stochastic game and measure its exploitability",
        description="GAME is a stochastic zoo game (see `equilibria games`: big-match, markov-soccer, grid-game-1, "
        "...) or a .json file of \"type\": \"stochastic\". Each checkpoint's profile is judged by its exact "
        "exploitability (best responses by policy iteration). Learners [aliases]: " + help_text())
    marl.add_argument("game", metavar="GAME")
    marl.add_argument("--method", "-m", required=True, type=marl_learner, metavar="M",
                      help="the learner, by name or alias (see above)")
    marl.add_argument("--steps", type=steps_count, default=100_000, help="steps per seed (default 100000)")
    marl.add_argument("--seeds", type=positive_int, default=8, help="independent streams, vmapped (default 8)")
    marl.add_argument("--checkpoints", type=positive_int, default=10, help="evaluations along the run (default 10)")
    marl.add_argument("--seed", type=integer, default=0, help="the base random seed (default 0)")
    marl.add_argument("--max-seconds", type=positive_float, default=None,
                      help="stop between checkpoints after this long and report those reached, marked stopped")
    marl.add_argument("--format", choices=("table", "json"), default="table")
    marl.set_defaults(handler=cmd_marl)

    mfg = commands.add_parser(
        "mfg", help="solve a mean-field game and follow its exploitability, iteration by iteration",
        description="ENV is a mean-field environment (see `equilibria games`: left-right, beach-bar, "
        "crowd-modelling, susceptible-infected, linear-quadratic, braess, pigou, ...). Every iterate's policy is "
        "judged by its exact exploitability (best response by backward induction against the policy's own flow). "
        "Methods [aliases]: " + mean_field_solver_help())
    mfg.add_argument("game", metavar="ENV")
    mfg.add_argument("--method", "-m", default="online_mirror_descent", metavar="M",
                     help="the solver, by name or alias (default online_mirror_descent)")
    mfg.add_argument("--iterations", type=iterations_count, default=100, metavar="K",
                     help="at most this many iterations (default 100)")
    mfg.add_argument("--tol", type=nonnegative_float, default=None,
                     help="stop at the first iterate with exploitability at most this (default: the solver's)")
    mfg.add_argument("--max-seconds", type=positive_float, default=None,
                     help="stop after this long and report the last iterate, marked not converged")
    mfg.add_argument("--param", action="append", default=None, metavar="NAME=VALUE",
                     help="an environment parameter (repeatable), e.g. --param horizon=20")
    mfg.add_argument("--option", action="append", default=None, metavar="NAME=VALUE",
                     help="a solver option (repeatable), e.g. --option learning_rate=0.1")
    mfg.add_argument("--plot", default=None, metavar="FILE", help="write the exploitability curve (.png/.pdf/.svg)")
    mfg.add_argument("--format", choices=("table", "json"), default="table")
    mfg.set_defaults(handler=cmd_mfg)

    pricing = commands.add_parser(
        "pricing", help="Q-learning pricing algorithms in a logit market (Calvano et al. 2020): do they collude?",
        description="Runs independent sessions of Q-learning firms to convergence and reports the profit gain "
        "Delta = (pi - piN) / (piM - piN) over each session's limit cycle and the shares of outcomes. The defaults "
        "are the paper's baseline.")
    pricing.add_argument("--firms", type=positive_int, default=2)
    pricing.add_argument("--prices", type=positive_int, default=15, help="grid points (default 15)")
    pricing.add_argument("--xi", type=finite_float, default=0.1,
                         help="grid margin beyond Nash and monopoly (default 0.1)")
    pricing.add_argument("--quality", type=finite_float, default=2.0, help="a_i (default 2)")
    pricing.add_argument("--cost", type=finite_float, default=1.0, help="marginal cost c (default 1)")
    pricing.add_argument("--outside", type=finite_float, default=0.0, help="a_0 (default 0)")
    pricing.add_argument("--mu", type=finite_float, default=0.25, help="horizontal differentiation (default 0.25)")
    pricing.add_argument("--alpha", type=finite_float, default=0.15, help="learning rate (default 0.15)")
    pricing.add_argument("--beta", type=finite_float, default=4e-6, help="exploration decay, eps_t = exp(-beta t)")
    pricing.add_argument("--discount", type=finite_float, default=0.95, help="discount factor delta (default 0.95)")
    pricing.add_argument("--memory", type=positive_int, default=1, help="periods remembered (default 1)")
    pricing.add_argument("--window", type=positive_int, default=100_000,
                         help="periods of unchanged greedy strategies that count as convergence (default 100000)")
    pricing.add_argument("--max-periods", type=positive_int, default=10**9, help="cap per session (default 1e9)")
    pricing.add_argument("--sessions", type=positive_int, default=100)
    pricing.add_argument("--seed", type=integer, default=0, help="an integer in [0, 2^64 - 1] (default 0)")
    pricing.add_argument("--max-seconds", type=positive_float, default=None,
                         help="stop the sessions still running after this long (counting from the start of the "
                              "command) and report over those that finished, marked not completed")
    pricing.add_argument("--format", choices=("table", "json"), default="table")
    pricing.add_argument("--no-progress", action="store_true", help="no progress bar")
    pricing.set_defaults(handler=cmd_pricing)

    auction = commands.add_parser(
        "auction", help="an auction's outcome, the EOS equilibrium of GSP, or Bayes-Nash bidding with a certificate",
        description="FORMAT: first-price [fpa], second-price [vickrey, spa], all-pay, gsp, vcg, llg-vcg, "
        "llg-nearest-vcg, llg-nearest-bid, llg-proxy, llg-first-price. Without --bne or --equilibrium: the outcome "
        "of --bids (truthful when absent) for --values. --equilibrium eos: GSP's lowest locally envy-free "
        "equilibrium (Edelman, Ostrovsky and Schwarz 2007) with its Nash-regret certificate. --bne: a Bayes-Nash "
        "equilibrium for --priors, certified by each bidder's utility loss against a best response on a fine grid.")
    auction.add_argument("format_name", metavar="FORMAT")
    auction.add_argument("--values", type=number_list, default=None, metavar="V1,V2,...",
                         help="the bidders' values (per click in position auctions)")
    auction.add_argument("--bids", type=number_list, default=None, metavar="B1,B2,...",
                         help="the bids (default: truthful, the values)")
    auction.add_argument("--ctr", type=number_list, default=None, metavar="C1,C2,...",
                         help="position auctions: the click-through rate of each slot, non-increasing")
    auction.add_argument("--quality", type=number_list, default=None, metavar="Q1,Q2,...",
                         help="position auctions: quality scores (ranking by bid times quality)")
    auction.add_argument("--reserve", type=nonnegative_float, default=None, metavar="R", help="a reserve price")
    auction.add_argument("--equilibrium", default=None, metavar="eos",
                         help="gsp: the bids of the EOS equilibrium for --values")
    auction.add_argument("--bne", action="store_true",
                         help="compute a Bayes-Nash equilibrium for --priors (a certified solve takes tens of CPU "
                         "seconds: Plum's two bidders about 45; --max-seconds caps it)")
    auction.add_argument("--priors", type=prior_list, default=None, metavar="P1,P2,...",
                         help="one value distribution per bidder: uniform:LOW:HIGH, power:A, "
                              "normal:MEAN:SD:LOW:HIGH (with --bidders N: one for all)")
    auction.add_argument("--bidders", type=positive_int, default=None, metavar="N",
                         help="with one prior in --priors: the number of bidders sharing it")
    auction.add_argument("--method", "-m", default="best_response", metavar="M",
                         help="--bne: best_response [br] (default) or gradient [npga]")
    auction.add_argument("--seed", type=integer, default=0, help="--bne: the random seed (default 0)")
    auction.add_argument("--max-seconds", type=positive_float, default=None,
                         help="--bne: stop after this long and report the last iterate, marked not converged")
    auction.add_argument("--format", choices=("table", "json"), default="table")
    auction.set_defaults(handler=cmd_auction)

    rlhf = commands.add_parser("rlhf", help="reward learning from pairwise preferences (Bradley-Terry scores)")
    rlhf_commands = rlhf.add_subparsers(dest="rlhf_command", required=True, metavar="SUBCOMMAND",
                                        parser_class=Parser)
    bradley_terry = rlhf_commands.add_parser(
        "bradley-terry", aliases=["bradley_terry", "bt"],
        help="Bradley-Terry maximum-likelihood scores of items from a CSV of comparisons",
        description="FILE.csv: a header and one comparison per row, with columns winner and loser (item names; "
                    "other columns ignored). Prints the scores (mean zero), the log-likelihood and the accuracy.")
    bradley_terry.add_argument("file", metavar="FILE.csv")
    bradley_terry.add_argument("--l2", type=nonnegative_float, default=0.0, metavar="X",
                               help="ridge penalty X/2 * sum of squared scores (default 0: the plain MLE, which "
                                    "does not exist when some item never loses or never wins)")
    bradley_terry.add_argument("--format", choices=("table", "json"), default="table")
    bradley_terry.set_defaults(rlhf_command="bradley-terry")  # the canonical name, whichever alias was typed
    rlhf.set_defaults(handler=cmd_rlhf)

    irl = commands.add_parser("irl", help="inverse RL: recover a reward from demonstrations (max-ent, MCE IRL)")
    irl_commands = irl.add_subparsers(dest="irl_command", required=True, metavar="SUBCOMMAND", parser_class=Parser)
    maxent = irl_commands.add_parser(
        "maxent", aliases=["max-ent", "max_ent", "mce"],
        help="fit a reward to sampled demonstrations by max-ent or maximum causal entropy IRL",
        description="Builds gridworld:SIZE or objectworld:SIZE from --seed, samples --demonstrations trajectories "
        "from the Boltzmann-rational policy of its true reward, fits a reward by MCE IRL (Ziebart 2010; "
        "--method maxent: Ziebart et al. 2008) and reports EVD, EPIC distance, log-likelihood and the "
        "feature-expectation gap (the certificate), all computed from the returned reward.")
    maxent.add_argument("--mdp", required=True, metavar="WORLD:SIZE", help="gridworld:SIZE or objectworld:SIZE")
    maxent.add_argument("--demonstrations", "-n", type=positive_int, default=100, metavar="N",
                        help="number of demonstrated trajectories (default 100)")
    maxent.add_argument("--seed", type=integer, default=0, help="seeds the world and the demonstrations (default 0)")
    maxent.add_argument("--method", "-m", choices=("mce", "maxent"), default="mce",
                        help="mce: maximum causal entropy IRL (default); maxent: Ziebart et al. 2008")
    maxent.add_argument("--horizon", type=integer, default=None, metavar="H", help="finite horizon (default 2*SIZE)")
    maxent.add_argument("--discount", type=finite_float, default=1.0, help="discount in [0, 1] (default 1)")
    maxent.add_argument("--slip", type=finite_float, default=0.3,
                        help="probability that a random action is taken instead (default 0.3)")
    maxent.add_argument("--temperature", type=positive_float, default=1.0,
                        help="the demonstrator's Boltzmann temperature, also assumed by the fit (default 1)")
    maxent.add_argument("--l2", type=nonnegative_float, default=0.01, help="L2 penalty on the reward's parameters")
    maxent.add_argument("--reward-model", choices=("linear", "mlp"), default="linear")
    maxent.add_argument("--iterations", type=iterations_count, default=1000, metavar="K",
                        help="at most K optimiser steps (default 1000)")
    maxent.add_argument("--max-seconds", type=positive_float, default=None,
                        help="stop after this long and report the last reward, marked not converged")
    maxent.add_argument("--format", choices=("table", "json"), default="table")
    maxent.set_defaults(irl_command="maxent")  # the canonical name, whichever alias was typed
    irl.set_defaults(handler=cmd_irl)

    reproduce = commands.add_parser("reproduce", help="run registered reproductions and write an HTML report",
                                    description=reproduce_help())
    reproduce.add_argument("names", nargs="*", metavar="NAME", help="experiments to run (default: all)")
    reproduce.add_argument("--all", action="store_true", help="run every registered experiment")
    reproduce.add_argument("--quick", action="store_true", help="small configurations that run in seconds")
    reproduce.add_argument("--out", default="report", help="output directory (default: ./report)")
    reproduce.add_argument("--backend", default="local",
                           help="where sweeps run: local (default) or ray (a local Ray instance, or --ray-address)")
    reproduce.add_argument("--ray-address", default=None, metavar="ADDRESS",
                           help="a running Ray cluster for --backend ray: host:port, ray://host:port or auto")
    reproduce.add_argument("--fresh", action="store_true",
                           help="ignore checkpoints (experiments and their units of work) and run everything again")
    reproduce.add_argument("--max-seconds", type=positive_float, default=None,
                           help="stop after this many seconds (the running experiment's finished units are kept: "
                                "rerun to resume); stopped experiments are marked so in the report")
    reproduce.add_argument("--no-progress", action="store_true", help="no progress bars")
    reproduce.set_defaults(handler=cmd_reproduce)

    lab = commands.add_parser("lab", help="serve the web lab (minimax stepper, dynamics playground, solver, reports)",
                              description="Serves the web lab on http://127.0.0.1:PORT/ until Ctrl-C. Pages: "
                              "step through minimax and alpha-beta, watch learning dynamics, solve a pasted game, "
                              "browse reproduction reports. Every number comes from the library.")
    lab.add_argument("--port", type=integer, default=8765, help="TCP port (default 8765; 0: any free port)")
    lab.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1; any other prints a warning: the lab has no login)")
    lab.add_argument("--reports", default="report", metavar="DIR",
                     help="folder of `equilibria reproduce` reports to browse, read-only (default: ./report)")
    lab.set_defaults(handler=cmd_lab)
    return parser



def dynamics_method(text: str) -> str:
    """``--method`` of ``equilibria dynamics``: the table's name for what was typed (any spelling or alias)."""
    from equilibria.core.errors import GameError
    from equilibria.dynamics.methods import canonical_name

    try:
        return canonical_name(text)
    except GameError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def marl_learner(text: str) -> str:
    """``--method`` of ``equilibria marl``: the registry's name for what was typed (any spelling or alias)."""
    from equilibria.applications.marl.registry import canonical_learner
    from equilibria.core.errors import GameError

    try:
        return canonical_learner(text)
    except GameError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
