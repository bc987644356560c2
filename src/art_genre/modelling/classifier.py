"""The saved form of a trained model: the estimator and what it must be fed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from art_genre.nn import MLP, BoostedEnsemble


class IncompatibleArtefactsError(ValueError):
    """Saved artefacts that do not fit together (other features, other genres)."""


@dataclass
class GenreClassifier:
    """A trained multi-label genre model with the facts needed to use it safely.

    Attributes:
        name: The model's name (its pipeline namespace: ``snn``, ``bnn``, ...).
        estimator: The trained :class:`~art_genre.nn.MLP` or
            :class:`~art_genre.nn.BoostedEnsemble`.
        genres: Output columns, in order (the genre vocabulary it was trained on).
        feature_fingerprint: Fingerprint of the backbone settings whose features (after
            the saved scaler and PCA) it was trained on.
        n_features: Width of its input.
        params: The parameters it was trained with.
        train_seconds: Wall time of the training.
        pca_hash: Content hash of the PCA it was trained on
            (:func:`art_genre.artefacts.transform_hash`; ``predict`` refuses another).
        scaler_hash: Content hash of the scaler it was trained on.

    Saved without pickle as weights (``.npz``) and JSON metadata
    (:mod:`art_genre.modelling.artefacts`).
    """

    name: str
    estimator: MLP | BoostedEnsemble
    genres: list[str]
    feature_fingerprint: str
    n_features: int
    params: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0
    pca_hash: str = ""
    scaler_hash: str = ""

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Per-genre logits in ``float64``, shape ``(n, len(genres))``.

        The networks run in their own dtype; the logits are cast (and an ensemble's
        summed or averaged) in ``float64``, so probabilities computed from them do not
        saturate at 1.0 and distinct logits keep distinct probabilities.

        Raises:
            IncompatibleArtefactsError: If ``X`` is not ``n_features`` wide.
        """
        X = self._checked(X)
        return np.asarray(self.estimator.decision_function(X), dtype=np.float64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Per-genre probabilities ``expit(decision_function(X))``, ``float64``.

        Raises:
            IncompatibleArtefactsError: If ``X`` is not ``n_features`` wide.
        """
        return expit(self.decision_function(X))

    def input_gradient(self, X: np.ndarray, genre_index: int | np.ndarray) -> np.ndarray:
        """Gradient of one genre's logit with respect to the model's input features.

        The logit is the network's output before the sigmoid (for ``bnn`` the ensemble's
        logit ``F``; for ``bnn_study`` the logit of its averaged probability). It is what
        class activation maps (:mod:`art_genre.explain`) back-propagate into the image.

        Args:
            X: Inputs, shape ``(n, n_features)``.
            genre_index: Column of :attr:`genres`: one for every row, or one per row.

        Returns:
            ``float64`` array of shape ``(n, n_features)``.

        Raises:
            IncompatibleArtefactsError: If ``X`` is not ``n_features`` wide.
        """
        return self.estimator.input_gradient(self._checked(X), genre_index)

    def _checked(self, X: np.ndarray) -> np.ndarray:
        """``X`` as an array, refused unless it is ``n_features`` wide."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise IncompatibleArtefactsError(
                f"Model {self.name!r} takes {self.n_features} features per image, got "
                f"an array of shape {X.shape}."
            )
        return X

    def check_compatible(self, genres: list[str], feature_fingerprint: str) -> None:
        """Refuse a vocabulary or backbone other than the ones the model was trained on.

        Raises:
            IncompatibleArtefactsError: Naming what differs and what to do.
        """
        if list(genres) != list(self.genres):
            raise IncompatibleArtefactsError(
                f"Model {self.name!r} was trained on the genres {self.genres}, but the "
                f"genre vocabulary now is {list(genres)}; retrain every model and the report "
                f"with `kedro run`."
            )
        if feature_fingerprint != self.feature_fingerprint:
            raise IncompatibleArtefactsError(
                f"Model {self.name!r} was trained on features of backbone fingerprint "
                f"{self.feature_fingerprint}, but the PCA and scaler now come from "
                f"{feature_fingerprint}; retrain every model and the report with `kedro run`."
            )
