"""NumPy-only multi-label networks, optimizers, training loop and ensembles.

Public API:

* :class:`MLP` — ReLU hidden layers, sigmoid outputs, BCE from logits.
* :class:`SGD`, :class:`Adam` — in-place optimizers.
* :func:`fit` — the one mini-batch training loop, returning a :class:`History`.
* :class:`BoostedEnsemble` — gradient boosting in logit space or the study's
  residual scheme.
* :func:`any_match_accuracy` — the study's accuracy.
"""

from art_genre.nn.boosting import (
    NORMALISATIONS,
    VARIANTS,
    BoostedEnsemble,
    Normalisation,
    StageRecord,
    Variant,
)
from art_genre.nn.losses import bce_from_proba, bce_with_logits, sigmoid
from art_genre.nn.metrics import any_match_accuracy
from art_genre.nn.network import INITS, MLP, Init
from art_genre.nn.optimizers import SGD, STEP_COUNTERS, Adam, Optimizer, StepCounter
from art_genre.nn.training import (
    History,
    NonFiniteLossError,
    balanced_sampling_probabilities,
    fit,
    inverse_frequency_pos_weight,
)

__all__ = [
    "INITS",
    "MLP",
    "NORMALISATIONS",
    "SGD",
    "STEP_COUNTERS",
    "VARIANTS",
    "Adam",
    "BoostedEnsemble",
    "History",
    "Init",
    "NonFiniteLossError",
    "Normalisation",
    "Optimizer",
    "StageRecord",
    "StepCounter",
    "Variant",
    "any_match_accuracy",
    "balanced_sampling_probabilities",
    "bce_from_proba",
    "bce_with_logits",
    "fit",
    "inverse_frequency_pos_weight",
    "sigmoid",
]
