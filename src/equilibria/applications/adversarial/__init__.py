"""Adversarial training as a zero-sum game: data, models, attacks (FGSM, PGD, Square), training (standard, FGSM,
PGD, TRADES), the learner-attacker game run by the dynamics engine, and certificates (interval bound propagation
below, the strongest attack above)."""

from equilibria.applications.adversarial.attacks import (
    Attack,
    fgsm,
    linear_worst_case_margin,
    pgd,
    project,
    random_start,
    square,
)
from equilibria.applications.adversarial.certify import (
    AttackBudget,
    Robustness,
    certified_accuracy,
    margin_lower_bounds,
    output_bounds,
    robust_accuracy,
)
from equilibria.applications.adversarial.data import DATASETS, Dataset, load
from equilibria.applications.adversarial.game import GameConfig, adversarial_game, train_game
from equilibria.applications.adversarial.models import ARCHITECTURES, Architecture, Model, accuracy, margins
from equilibria.applications.adversarial.training import METHODS, TrainConfig, TrainResult, TrainRun, seed_params, train

__all__ = [
    "ARCHITECTURES", "DATASETS", "METHODS", "Architecture", "Attack", "AttackBudget", "Dataset", "GameConfig", "Model",
    "Robustness", "TrainConfig", "TrainResult", "TrainRun", "accuracy", "adversarial_game", "certified_accuracy",
    "fgsm", "linear_worst_case_margin", "load", "margin_lower_bounds", "margins", "output_bounds", "pgd", "project",
    "random_start", "robust_accuracy", "seed_params", "square", "train", "train_game",
]
