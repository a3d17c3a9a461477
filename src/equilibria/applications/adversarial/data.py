"""Data sets for adversarial training, all shipped with scikit-learn (nothing is downloaded at run time).

Conventions: a :class:`Dataset` holds ``x_train: [n, d]`` float32, ``y_train: [n]`` int32 labels in
``0..n_classes-1``, the same for the test split, and the *input box* ``[lower, upper]`` every attacked input must stay
in (the attacker's set is the eps-ball intersected with the box). Splits are stratified and seeded
(``seed`` -> scikit-learn's ``random_state``). The eps of an attack is measured in the units of ``x``:

- ``"digits"``: the 1,797 8x8 handwritten digits (10 classes, ``d = 64``), pixels scaled to ``[0, 1]`` (``pixel /
  16``); box ``[0, 1]``; eps in that intensity scale (the original images have 17 grey levels, steps of 1/16).
- ``"breast_cancer"``: the Wisconsin diagnostic set (569 tumours, 30 features, 2 classes), each feature standardised
  with the *training* split's mean and standard deviation: eps is in training standard deviations per feature; no
  box (``[-inf, inf]``).
- ``"moons"``: scikit-learn's two interleaving half circles (2 classes, ``d = 2``), Gaussian noise 0.15, raw
  coordinates (eps in those units); no box. For pictures of decision boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from equilibria.core.checks import positive_int
from equilibria.core.errors import GameError

DATASETS = ("digits", "breast_cancer", "moons")


@dataclass(frozen=True, eq=False)
class Dataset:
    """A seeded train/test split with its input box (see the module docstring).

    Attributes:
      name: one of :data:`DATASETS`.
      x_train: ``[n_train, d]`` float32; y_train: ``[n_train]`` int32.
      x_test: ``[n_test, d]`` float32; y_test: ``[n_test]`` int32.
      n_classes: number of labels.
      lower, upper: the input box (floats, possibly infinite), the same for every coordinate.
      image_shape: ``(8, 8)`` for digits (``x`` rows are row-major images), else None.
      eps_units: what one unit of eps means, in words.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    lower: float
    upper: float
    image_shape: tuple[int, int] | None
    eps_units: str

    @property
    def dim(self) -> int:
        return int(self.x_train.shape[1])


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    parts = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return tuple(parts)


def load(name: str, *, seed: int = 0, test_fraction: float = 0.25, n_moons: int = 600) -> Dataset:
    """The data set ``name`` (one of :data:`DATASETS`), split with ``seed``; ``n_moons``: two-moons' sample size."""
    if name not in DATASETS:
        raise GameError(f"load: unknown data set {name!r}; known: {', '.join(DATASETS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GameError(f"load: seed must be a non-negative integer, got {seed!r}")
    if not (isinstance(test_fraction, float) and 0.0 < test_fraction < 1.0):
        raise GameError(f"load: test_fraction must be a float in (0, 1), got {test_fraction!r}")
    positive_int(n_moons, "n_moons", "load")
    from sklearn import datasets

    if name == "digits":
        bunch = datasets.load_digits()
        x, y = bunch.data / 16.0, bunch.target
        x_tr, x_te, y_tr, y_te = _split(x, y, test_fraction, seed)
        return _dataset(name, x_tr, y_tr, x_te, y_te, 10, 0.0, 1.0, (8, 8), "pixel intensity in [0, 1] (pixel/16)")
    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
        x_tr, x_te, y_tr, y_te = _split(bunch.data, bunch.target, test_fraction, seed)
        mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
        return _dataset(name, x_tr, y_tr, x_te, y_te, 2, -np.inf, np.inf, None,
                        "training standard deviations per feature")
    x, y = datasets.make_moons(n_samples=n_moons, noise=0.15, random_state=seed)
    x_tr, x_te, y_tr, y_te = _split(x, y, test_fraction, seed)
    return _dataset(name, x_tr, y_tr, x_te, y_te, 2, -np.inf, np.inf, None, "raw two-moons coordinates")


def _dataset(name: str, x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray, n_classes: int,
             lower: float, upper: float, image_shape: tuple[int, int] | None, units: str) -> Dataset:
    return Dataset(name, np.asarray(x_tr, np.float32), np.asarray(y_tr, np.int32), np.asarray(x_te, np.float32),
                   np.asarray(y_te, np.int32), n_classes, float(lower), float(upper), image_shape, units)
