"""Gradient dynamics for differentiable games: gradient descent-ascent and its fixes.

Every player follows a *direction* built from the simultaneous gradient ``xi`` (see
:mod:`equilibria.games.differentiable`; ``J`` is the game Jacobian, ``A = (J - J^T) / 2`` its antisymmetric part,
``J_o`` its off-diagonal blocks, ``H = ||xi||^2 / 2`` with ``grad H = J^T xi``), turned into a step by a per-player
base optimizer and projected onto the player's constraint set:

    params_i <- project_i(params_i + base_optimizer(direction_i))

The base optimizer is any optax ``GradientTransformation`` (plain ``optax.sgd(learning_rate)`` by default), so
Adam-GDA or momentum-GDA are the same code with a different optimizer; every constructor takes either
``learning_rate`` or ``optimizer`` (never both) except :func:`cgd` and :func:`negative_momentum`, whose step *is*
the method. Simultaneous updates move every player from the same point; alternating (Gauss-Seidel) updates move
player 0 first and let each later player see the earlier players' new parameters. All updates are pure JAX
(``jit``, ``vmap`` and ``lax.scan`` apply) and work for any number of players.

Methods (``eta`` the learning rate; with plain SGD as the base step):

- :func:`gda`: ``x <- x - eta xi(x)`` (simultaneous or alternating).
- :func:`optimistic_gda`: ``x_{t+1} = x_t - 2 eta xi_t + eta xi_{t-1}`` (Popov 1980; Daskalakis et al. 2018,
  "Training GANs with optimism"); the first step is a plain gradient step (``xi_{-1} = xi_0``), which makes it
  equal step for step to ``optax.optimistic_gradient_descent``.
- :func:`extragradient`: ``x_half = P(x - eta xi(x))``, ``x <- P(x - eta xi(x_half))`` (Korpelevich 1976).
- :func:`consensus`: direction ``xi + gamma J^T xi`` (Mescheder, Nowozin and Geiger 2017, "The numerics of GANs").
- :func:`sga`: symplectic gradient adjustment, direction ``xi + lambda A^T xi`` with ``A^T xi = (J^T xi - J xi) / 2``
  (Balduzzi et al. 2018, "The mechanics of n-player differentiable games", Algorithm 1); with alignment
  ``lambda = lam * sign(<xi, grad H> <A^T xi, grad H> / d + epsilon)``, ``d`` the number of parameters
  (the paper uses ``epsilon = 1/10``).
- :func:`cgd`: competitive gradient descent (Schaefer and Anandkumar 2019): the step ``delta`` solves
  ``(I + eta J_o) delta = -eta xi``, the Nash equilibrium of the players' regularised bilinear approximations; for
  two players this is Schaefer and Anandkumar's formula. Solved matrix-free by conjugate gradients on the normal
  equations.
- :func:`negative_momentum`: alternating GDA with heavy-ball momentum ``x_{t+1} = P(x_t - eta xi + beta (x_t -
  x_{t-1}))``, ``beta < 0`` (Gidel et al. 2019, "Negative momentum for improved game dynamics").
- :func:`hamiltonian`: Hamiltonian gradient descent, direction ``J^T xi = grad H`` (Balduzzi et al. 2018; Loizou
  et al. 2020, "Stochastic Hamiltonian gradient methods for smooth games").
- :func:`lookahead`: each player differentiates its loss at the opponents' anticipated parameters
  ``params_{-i} - alpha xi_{-i}``, the anticipated step held constant (Zhang and Lesser 2010, IGA-PP; exact form of
  Letcher et al. 2019, "Stable opponent shaping in differentiable games").
- :func:`lola`: the same, differentiating through the opponents' anticipated step (Foerster et al. 2018,
  "Learning with opponent-learning awareness"; exact, not the first-order Taylor form).

The linear rates of these methods on ``f = sigma * x * y`` (``a = eta * sigma``) are in
:mod:`equilibria.dynamics.analysis`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from equilibria.core.errors import GameError
from equilibria.dynamics.base import (
    Dynamics,
    check_learning_rate,
    initial_step,
    state_dataclass,
    tree_axpy,
    tree_scale,
    tree_sub,
    tree_vdot,
)
from equilibria.games.differentiable import DifferentiableGame, Params, _replace

Direction = Callable[[DifferentiableGame, Params], Params]


@state_dataclass
class OptimizerState:
    """Current iterate, step count and one optax state per player."""

    params: Params
    step: jax.Array
    optimizer_states: tuple[Any, ...]


@state_dataclass
class OptimisticState:
    """Optimistic GDA's state: the iterate, the step count, the previous simultaneous gradient and the per-player
    optax states."""

    params: Params
    step: jax.Array
    previous_gradient: Params
    optimizer_states: tuple[Any, ...]


@state_dataclass
class MomentumState:
    """Heavy-ball state: the iterate, the step count and the previous iterate."""

    params: Params
    step: jax.Array
    previous_params: Params


# -- argument checks -------------------------------------------------------------------------------------------
def _base_optimizer(learning_rate: float | None, optimizer: optax.GradientTransformation | None,
                    caller: str) -> optax.GradientTransformation:
    if optimizer is not None:
        if learning_rate is not None:
            raise GameError(f"{caller}: give either learning_rate or optimizer, not both (the optimizer carries "
                            f"its own learning rate)")
        if not isinstance(optimizer, optax.GradientTransformation):
            raise GameError(f"{caller}: optimizer must be an optax GradientTransformation, got "
                            f"{type(optimizer).__name__}")
        return optimizer
    if learning_rate is None:
        raise GameError(f"{caller}: learning_rate is required (or pass an optax optimizer)")
    return optax.sgd(check_learning_rate(learning_rate, caller))


def _finite_number(value: Any, caller: str, name: str, *, minimum: float | None = None,
                   strict: bool = False, below: float | None = None) -> Any:
    """A finite float ``>= minimum`` (``> minimum`` when ``strict``) and ``< below``, or a one-line GameError.

    A traced value (a sweep: ``jax.vmap`` over a function that builds the dynamics) passes unchecked.
    """
    if isinstance(value, jax.core.Tracer):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GameError(f"{caller}: {name} must be a number, got {value!r}") from None
    bad = not math.isfinite(number)
    if minimum is not None:
        bad = bad or number < minimum or (strict and number == minimum)
    if below is not None:
        bad = bad or not number < below
    if bad:
        lower = "" if minimum is None else f"{'>' if strict else '>='} {minimum}"
        upper = "" if below is None else f"< {below}"
        bounds = " and ".join(b for b in (lower, upper) if b)
        raise GameError(f"{caller}: {name} must be a finite number{' ' + bounds if bounds else ''}, got {value!r}")
    return number


def _opponent_rate(learning_rate: float | None, opponent_learning_rate: float | None, caller: str) -> Any:
    """The opponents' anticipated step size; defaults to the player's own ``learning_rate``."""
    if opponent_learning_rate is not None:
        return check_learning_rate(opponent_learning_rate, caller, "opponent_learning_rate")
    if learning_rate is None:
        raise GameError(f"{caller}: opponent_learning_rate is required when an optimizer replaces learning_rate")
    return check_learning_rate(learning_rate, caller)


def _optimizer_label(optimizer: optax.GradientTransformation | None) -> str:
    return "custom" if optimizer is not None else "sgd"


# -- the shared step: base optimizer, then projection ------------------------------------------------------------
def _player_step(game: DifferentiableGame, optimizer: optax.GradientTransformation, player: int, params: Params,
                 gradient: Any, optimizer_state: Any) -> tuple[Any, Any]:
    """One base-optimizer step of ``player`` along ``-gradient`` (optax minimises), then projection."""
    updates, optimizer_state = optimizer.update(gradient, optimizer_state, params[player])
    moved = optax.apply_updates(params[player], updates)
    constraint = game.constraints[player]
    return jax.tree_util.tree_map(constraint.project, moved), optimizer_state


def _simultaneous_step(game: DifferentiableGame, optimizer: optax.GradientTransformation, params: Params,
                       directions: Params, optimizer_states: tuple[Any, ...]) -> tuple[Params, tuple[Any, ...]]:
    """Every player steps along ``-directions[i]`` from the same ``params``."""
    moved, states = [], []
    for i in range(game.n_players):
        new_i, state_i = _player_step(game, optimizer, i, params, directions[i], optimizer_states[i])
        moved.append(new_i)
        states.append(state_i)
    return tuple(moved), tuple(states)


def _init_optimizer_states(optimizer: optax.GradientTransformation, params: Params) -> tuple[Any, ...]:
    return tuple(optimizer.init(p) for p in params)


def _direction_dynamics(name: str, direction: Direction, optimizer: optax.GradientTransformation,
                        hyperparameters: tuple[tuple[str, Any], ...]) -> Dynamics:
    """A simultaneous dynamic ``params_i <- P_i(params_i + base(direction_i(params)))``."""

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> OptimizerState:
        params = tuple(params)
        return OptimizerState(params, initial_step(), _init_optimizer_states(optimizer, params))

    def update(game: DifferentiableGame, state: OptimizerState) -> OptimizerState:
        moved, states = _simultaneous_step(game, optimizer, state.params, direction(game, state.params),
                                           state.optimizer_states)
        return OptimizerState(moved, state.step + 1, states)

    return Dynamics(init, update, name, hyperparameters)


def _simultaneous_gradient(game: DifferentiableGame, params: Params) -> Params:
    return game.gradient(params)


# -- methods -----------------------------------------------------------------------------------------------------
def gda(learning_rate: float | None = None, *, alternating: bool = False,
        optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Gradient descent-ascent: every player descends its own loss, ``params_i -= eta * xi_i``.

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      alternating: Gauss-Seidel order (player 0 moves first, later players see the new parameters).
      optimizer: any optax transformation used as every player's base step instead of plain SGD.
    """
    base = _base_optimizer(learning_rate, optimizer, "gda")
    hyper = (("learning_rate", learning_rate), ("alternating", alternating), ("optimizer", _optimizer_label(optimizer)))
    if not alternating:
        return _direction_dynamics("gda", _simultaneous_gradient, base, hyper)

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> OptimizerState:
        params = tuple(params)
        return OptimizerState(params, initial_step(), _init_optimizer_states(base, params))

    def update(game: DifferentiableGame, state: OptimizerState) -> OptimizerState:
        moved, opt_states = state.params, list(state.optimizer_states)
        for i in range(game.n_players):
            new_i, opt_states[i] = _player_step(game, base, i, moved, game.player_gradient(moved, i), opt_states[i])
            moved = _replace(moved, i, new_i)
        return OptimizerState(moved, state.step + 1, tuple(opt_states))

    return Dynamics(init, update, "alternating_gda", hyper)


def optimistic_gda(learning_rate: float | None = None, *,
                   optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Optimistic GDA: the base step follows ``2 xi_t - xi_{t-1}`` (``x_{t+1} = x_t - 2 eta xi_t + eta xi_{t-1}``).

    The state keeps the previous gradient, initialised to ``xi_0`` so that the first step is a plain gradient step
    (as in optax >= 0.2.4, whose ``optimistic_gradient_descent`` this equals step for step with plain SGD).

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      optimizer: an optax transformation applied to the optimistic gradient ``2 xi_t - xi_{t-1}`` instead.
    """
    base = _base_optimizer(learning_rate, optimizer, "optimistic_gda")

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> OptimisticState:
        params = tuple(params)
        return OptimisticState(params, initial_step(), game.gradient(params), _init_optimizer_states(base, params))

    def update(game: DifferentiableGame, state: OptimisticState) -> OptimisticState:
        xi = game.gradient(state.params)
        optimistic = tree_axpy(2.0, xi, tree_scale(-1.0, state.previous_gradient))
        moved, states = _simultaneous_step(game, base, state.params, optimistic, state.optimizer_states)
        return OptimisticState(moved, state.step + 1, xi, states)

    hyper = (("learning_rate", learning_rate), ("optimizer", _optimizer_label(optimizer)))
    return Dynamics(init, update, "optimistic_gda", hyper)


def extragradient(learning_rate: float | None = None, *,
                  optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Projected extragradient: extrapolate to ``x_half = P(x - eta xi(x))``, then ``x <- P(x - eta xi(x_half))``.

    With an optax optimizer both half steps go through it and both update its state (as Extra-Adam does, Gidel et
    al. 2019, "A variational inequality perspective on generative adversarial networks").
    """
    base = _base_optimizer(learning_rate, optimizer, "extragradient")

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> OptimizerState:
        params = tuple(params)
        return OptimizerState(params, initial_step(), _init_optimizer_states(base, params))

    def update(game: DifferentiableGame, state: OptimizerState) -> OptimizerState:
        half, states = _simultaneous_step(game, base, state.params, game.gradient(state.params),
                                          state.optimizer_states)
        moved, states = _simultaneous_step(game, base, state.params, game.gradient(half), states)
        return OptimizerState(moved, state.step + 1, states)

    hyper = (("learning_rate", learning_rate), ("optimizer", _optimizer_label(optimizer)))
    return Dynamics(init, update, "extragradient", hyper)


def consensus(learning_rate: float | None = None, gamma: float = 1.0, *,
              optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Consensus optimization: every player follows ``xi + gamma * grad H = xi + gamma J^T xi`` (Mescheder et al.
    2017), gradient play plus descent on the squared gradient norm.

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      gamma: weight ``>= 0`` of the ``grad H`` term (0 is plain GDA).
      optimizer: an optax transformation used as every player's base step instead of plain SGD.
    """
    base = _base_optimizer(learning_rate, optimizer, "consensus")
    weight = _finite_number(gamma, "consensus", "gamma", minimum=0.0)

    def direction(game: DifferentiableGame, params: Params) -> Params:
        xi = game.gradient(params)
        return tree_axpy(weight, game.vjp(params, xi), xi)

    hyper = (("learning_rate", learning_rate), ("gamma", weight), ("optimizer", _optimizer_label(optimizer)))
    return _direction_dynamics("consensus", direction, base, hyper)


def sga(learning_rate: float | None = None, lam: float = 1.0, *, align: bool = True, epsilon: float = 0.1,
        optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Symplectic gradient adjustment (Balduzzi et al. 2018, Algorithm 1): direction ``xi + lambda A^T xi``.

    ``A^T xi = (J^T xi - J xi) / 2`` costs one forward and one reverse pass. With ``align`` the sign of
    ``lambda = lam * sign(<xi, grad H> <A^T xi, grad H> / d + epsilon)`` is chosen so that the adjustment points
    towards stable fixed points and away from unstable ones (``d`` the number of parameters, ``grad H = J^T xi``).

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      lam: the adjustment's magnitude ``> 0``.
      align: choose the sign of ``lambda`` by the alignment rule (else ``lambda = lam``).
      epsilon: the alignment rule's offset (``1/10`` in the paper).
      optimizer: an optax transformation used as every player's base step instead of plain SGD.
    """
    base = _base_optimizer(learning_rate, optimizer, "sga")
    magnitude = _finite_number(lam, "sga", "lam", minimum=0.0, strict=True)
    offset = _finite_number(epsilon, "sga", "epsilon")

    def direction(game: DifferentiableGame, params: Params) -> Params:
        xi = game.gradient(params)
        j_xi = game.jvp(params, xi)
        jt_xi = game.vjp(params, xi)  # = grad H
        at_xi = tree_scale(0.5, tree_sub(jt_xi, j_xi))
        weight: Any = magnitude
        if align:
            size = ravel_pytree(xi)[0].size
            alignment = tree_vdot(xi, jt_xi) * tree_vdot(at_xi, jt_xi) / size + offset
            weight = magnitude * jnp.sign(alignment)
        return tree_axpy(weight, at_xi, xi)

    hyper = (("learning_rate", learning_rate), ("lam", magnitude), ("align", align), ("epsilon", offset),
             ("optimizer", _optimizer_label(optimizer)))
    return _direction_dynamics("sga", direction, base, hyper)


def hamiltonian(learning_rate: float | None = None, *,
                optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Hamiltonian gradient descent: gradient descent on ``H = ||xi||^2 / 2``, direction ``J^T xi``.

    It converges wherever ``J`` is nonsingular (every stationary point of ``xi`` is a minimum of ``H``), but it
    cannot tell a Nash equilibrium from any other stationary point.
    """
    base = _base_optimizer(learning_rate, optimizer, "hamiltonian")

    def direction(game: DifferentiableGame, params: Params) -> Params:
        return game.vjp(params, game.gradient(params))

    hyper = (("learning_rate", learning_rate), ("optimizer", _optimizer_label(optimizer)))
    return _direction_dynamics("hamiltonian", direction, base, hyper)


def cgd(learning_rate: float, *, tol: float = 1e-8, maxiter: int = 100) -> Dynamics:
    """Competitive gradient descent (Schaefer and Anandkumar 2019), n-player form.

    The step ``delta`` solves ``(I + eta J_o) delta = -eta xi``: the simultaneous Nash equilibrium of the players'
    bilinear approximations with quadratic regularisation ``||delta_i||^2 / (2 eta)``. The system is solved
    matrix-free by conjugate gradients on the normal equations ``M^T M g = M^T xi`` (``M = I + eta J_o``,
    ``delta = -eta g``), with ``J_o v`` from :meth:`~DifferentiableGame.off_diagonal_jvp` and ``J_o^T u`` from
    its transpose. On ``f = sigma x y`` the iteration matrix is ``(I + eta J)^{-1}``, spectral radius
    ``1 / sqrt(1 + eta^2 sigma^2)``.

    Args:
      learning_rate: ``eta`` (the step is the method, so no optax optimizer).
      tol: relative residual tolerance of conjugate gradients.
      maxiter: at most this many conjugate-gradient iterations per step.
    """
    eta = check_learning_rate(learning_rate, "cgd")
    tolerance = _finite_number(tol, "cgd", "tol", minimum=0.0, strict=True)
    if isinstance(maxiter, bool) or not isinstance(maxiter, int) or maxiter < 1:
        raise GameError(f"cgd: maxiter must be a positive integer, got {maxiter!r}")
    base = optax.sgd(eta)

    def direction(game: DifferentiableGame, params: Params) -> Params:
        xi = game.gradient(params)

        def interaction(v: Params) -> Params:
            return game.off_diagonal_jvp(params, v)

        # J_o is linear in its tangent, so the pullback at any point (here xi) is J_o^T.
        _, pullback = jax.vjp(interaction, xi)
        flat_xi, unravel = ravel_pytree(xi)

        def matvec(v: jax.Array) -> jax.Array:
            return v + eta * ravel_pytree(interaction(unravel(v)))[0]

        def rmatvec(u: jax.Array) -> jax.Array:
            return u + eta * ravel_pytree(pullback(unravel(u))[0])[0]

        # CG runs on one flat vector started at its own right-hand side (M^T xi, close to the solution xi when
        # eta J_o is small): jax's cg device_puts (b, x0) together, which fails under jacfwd/vmap when their
        # leaves carry different batch axes (the linearisation in dynamics.analysis batches exactly this way).
        rhs = rmatvec(flat_xi)
        solution, _ = jax.scipy.sparse.linalg.cg(lambda v: rmatvec(matvec(v)), rhs, x0=rhs, tol=tolerance,
                                                 maxiter=maxiter)
        return unravel(solution)

    hyper = (("learning_rate", eta), ("tol", tolerance), ("maxiter", maxiter))
    return _direction_dynamics("cgd", direction, base, hyper)


def negative_momentum(learning_rate: float, momentum: float = -0.5, *, alternating: bool = True) -> Dynamics:
    """Heavy-ball GDA, ``x_{t+1} = P(x_t - eta xi + beta (x_t - x_{t-1}))`` with ``x_{-1} = x_0`` (Gidel et al. 2019).

    With alternating updates and ``beta < 0`` it converges on bilinear games where both simultaneous and
    alternating GDA do not. Unconstrained, it is ``gda(alternating=..., optimizer=optax.sgd(eta, momentum=beta))``
    step for step; with constraints the momentum acts on the projected iterates, as in the paper's update.

    Args:
      learning_rate: ``eta``.
      momentum: ``beta`` in ``(-1, 1)``; negative in the paper.
      alternating: Gauss-Seidel order (the paper's setting); else simultaneous.
    """
    eta = check_learning_rate(learning_rate, "negative_momentum")
    beta = _finite_number(momentum, "negative_momentum", "momentum", minimum=-1.0, strict=True, below=1.0)

    def init(game: DifferentiableGame, params: Params, *, key: jax.Array | None = None) -> MomentumState:
        params = tuple(params)
        return MomentumState(params, initial_step(), params)

    def update(game: DifferentiableGame, state: MomentumState) -> MomentumState:
        params, moved = state.params, state.params
        for i in range(game.n_players):
            gradient = game.player_gradient(moved if alternating else params, i)
            velocity = tree_sub(params[i], state.previous_params[i])
            stepped = tree_axpy(beta, velocity, tree_axpy(-eta, gradient, params[i]))
            moved = _replace(moved, i, jax.tree_util.tree_map(game.constraints[i].project, stepped))
        return MomentumState(moved, state.step + 1, params)

    hyper = (("learning_rate", eta), ("momentum", beta), ("alternating", alternating))
    return Dynamics(init, update, "negative_momentum", hyper)


def _anticipated(game: DifferentiableGame, params: Params, xi: Params, player: int, rate: float) -> Params:
    """The profile player ``player`` anticipates: every opponent ``j`` moved to ``params_j - rate * xi_j``."""
    return tuple(p if j == player else tree_axpy(-rate, g, p) for j, (p, g) in enumerate(zip(params, xi, strict=True)))


def lookahead(learning_rate: float | None = None, opponent_learning_rate: float | None = None, *,
              optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """LookAhead (Zhang and Lesser 2010): player ``i`` follows ``grad_i loss_i(params_i, params_{-i} - alpha
    xi_{-i})``, the opponents' anticipated naive step ``alpha xi_{-i}`` held constant. The anticipated parameters
    are not projected (the prediction is a first-order extrapolation, as in the paper's analysis).

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      opponent_learning_rate: ``alpha``, the step the opponents are anticipated to take (default ``eta``;
        required with an optimizer).
      optimizer: an optax transformation used as every player's base step instead of plain SGD.
    """
    base = _base_optimizer(learning_rate, optimizer, "lookahead")
    alpha = _opponent_rate(learning_rate, opponent_learning_rate, "lookahead")

    def direction(game: DifferentiableGame, params: Params) -> Params:
        # player_gradient differentiates only the own argument, so the anticipated opponents are constants there
        # (no stop_gradient: the update itself must stay differentiable for the analysis of its linearisation).
        xi = game.gradient(params)
        return tuple(game.player_gradient(_anticipated(game, params, xi, i, alpha), i) for i in range(game.n_players))

    hyper = (("learning_rate", learning_rate), ("opponent_learning_rate", alpha),
             ("optimizer", _optimizer_label(optimizer)))
    return _direction_dynamics("lookahead", direction, base, hyper)


def lola(learning_rate: float | None = None, opponent_learning_rate: float | None = None, *,
         optimizer: optax.GradientTransformation | None = None) -> Dynamics:
    """Learning with opponent-learning awareness (Foerster et al. 2018), exact form: player ``i`` follows
    ``d/d params_i [loss_i(params_i, params_{-i} - alpha xi_{-i}(params))]``, differentiating through the
    opponents' anticipated step (which depends on ``params_i``). As in :func:`lookahead`, the anticipated
    parameters are not projected.

    Args:
      learning_rate: ``eta`` of the default base optimizer ``optax.sgd``.
      opponent_learning_rate: ``alpha``, the step the opponents are anticipated to take (default ``eta``;
        required with an optimizer).
      optimizer: an optax transformation used as every player's base step instead of plain SGD.
    """
    base = _base_optimizer(learning_rate, optimizer, "lola")
    alpha = _opponent_rate(learning_rate, opponent_learning_rate, "lola")

    def shaped_loss(game: DifferentiableGame, params: Params, player: int, own: Any) -> jax.Array:
        profile = _replace(params, player, own)
        return game.player_loss(_anticipated(game, profile, game.gradient(profile), player, alpha), player)

    def direction(game: DifferentiableGame, params: Params) -> Params:
        return tuple(jax.grad(lambda own, i=i: shaped_loss(game, params, i, own))(params[i])
                     for i in range(game.n_players))

    hyper = (("learning_rate", learning_rate), ("opponent_learning_rate", alpha),
             ("optimizer", _optimizer_label(optimizer)))
    return _direction_dynamics("lola", direction, base, hyper)
