"""Class activation maps from the classifier head's exact input gradient.

The head that turns a backbone's pooled features ``f`` into a genre's logit ``y`` is
differentiable end to end: scaler ``(f - m) / s``, PCA ``(. - mu) @ V.T`` (divided by
``sqrt(explained_variance_)`` when whitened), then the NumPy network or ensemble, whose
:meth:`~art_genre.modelling.classifier.GenreClassifier.input_gradient` is exact. So
``g = dy / df`` needs no TensorFlow gradient (:func:`pooled_feature_gradient`), and the
gradient with respect to the backbone's last feature map ``A`` (``H x W x K``) follows
from how the pooling reads ``A`` (:func:`feature_map_gradient`):

* ``avg``: ``f_k = mean_ij A_ijk``, so ``dy/dA_ijk = g_k / (H W)`` at every location;
* ``flatten``: ``f`` is ``A`` itself, so the gradient is already per location;
* ``max``: ``f_k = max_ij A_ijk``, so only the location of channel ``k``'s maximum
  receives ``g_k`` (split evenly between tied maxima, as TensorFlow does).

The map is ``ReLU(sum_k dy/dA_ijk * A_ijk)`` per location (:func:`class_activation_maps`):
each location's share of the first-order change of the logit, positive evidence only. With
``avg`` pooling that is exactly Grad-CAM (Selvaraju et al. 2017: its channel weights
``mean_ij dy/dA_ijk`` are ``g_k / (H W)``) and before the ReLU the map sums to ``g . f``;
with ``flatten`` it is HiResCAM (Draelos & Carin 2020), which is faithful for a head that
reads every location. With ``max`` the map is exact too, but it means something narrower:
each channel's contribution ``g_k A_k`` sits at the single location of that channel's
peak, the only place max pooling looks; the map shows where the deciding peaks are, not
whole regions, and is sparse (at most ``K`` non-zero locations).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from art_genre.features.backbones import build_explaining_backbone, run_backbone
from art_genre.features.images import to_model_input
from art_genre.features.preprocessing import preprocess
from art_genre.features.reduction import reduce_features
from art_genre.features.settings import POOLING_MODES, BackboneSettings
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image
    from sklearn.decomposition import PCA, IncrementalPCA
    from sklearn.preprocessing import StandardScaler


def pooled_feature_gradient(
    features: np.ndarray,
    scaler: StandardScaler,
    pca: PCA | IncrementalPCA,
    classifier: GenreClassifier,
    genre_index: int | np.ndarray,
) -> np.ndarray:
    """Gradient of a genre's logit with respect to the backbone's pooled features.

    Chains the classifier's exact input gradient back through the PCA and the scaler
    (both linear).

    Args:
        features: Pooled backbone features, shape ``(n, D)``.
        scaler: The fitted ``StandardScaler`` (identity when fitted without mean and std).
        pca: The fitted ``PCA`` or ``IncrementalPCA``.
        classifier: The trained model.
        genre_index: Column of ``classifier.genres``: one for all rows or one per row.

    Returns:
        ``float64`` array ``(n, D)``: row ``i`` is ``d logit_i / d features[i]``.
    """
    reduced = reduce_features(np.asarray(features), scaler, pca)
    return _through_pca_and_scaler(
        classifier.input_gradient(reduced, genre_index), scaler, pca
    )


def _through_pca_and_scaler(
    grad: np.ndarray, scaler: StandardScaler, pca: PCA | IncrementalPCA
) -> np.ndarray:
    """``d logit / d reduced`` chained back to ``d logit / d features`` (both linear)."""
    if getattr(pca, "whiten", False):
        grad = grad / np.sqrt(pca.explained_variance_)
    grad = grad @ np.asarray(pca.components_, dtype=np.float64)
    scale = getattr(scaler, "scale_", None)
    if scale is not None:
        grad = grad / np.asarray(scale, dtype=np.float64)
    return grad


def feature_map_gradient(
    feature_map: np.ndarray, feature_gradient: np.ndarray, pooling: str
) -> np.ndarray:
    """Gradient of the logit with respect to the feature map, from the pooled gradient.

    Args:
        feature_map: The backbone's last feature maps ``A``, shape ``(n, H, W, K)``.
        feature_gradient: ``d logit / d pooled features``, ``(n, K)`` (``avg``, ``max``)
            or ``(n, H * W * K)`` (``flatten``, row-major like Keras' ``Flatten``).
        pooling: How the backbone pooled ``A``: ``avg``, ``max`` or ``flatten``.

    Returns:
        ``float64`` array ``(n, H, W, K)``.

    Raises:
        ValueError: On an unknown pooling or shapes that do not fit it.
    """
    A = np.asarray(feature_map)
    g = np.asarray(feature_gradient, dtype=np.float64)
    if A.ndim != 4:
        raise ValueError(f"feature_map must have shape (n, H, W, K), got {A.shape}.")
    n, H, W, K = A.shape
    if pooling not in POOLING_MODES:
        raise ValueError(
            f"pooling must be one of {', '.join(POOLING_MODES)}; got {pooling!r}."
        )
    width = H * W * K if pooling == "flatten" else K
    if g.shape != (n, width):
        raise ValueError(
            f"feature_gradient must have shape {(n, width)} for {pooling!r} pooling of a "
            f"{(H, W, K)} feature map, got {g.shape}."
        )
    if pooling == "flatten":
        return g.reshape(n, H, W, K)
    if pooling == "avg":
        return np.broadcast_to(g[:, None, None, :] / (H * W), A.shape).copy()
    peaks = A == A.max(axis=(1, 2), keepdims=True)
    share = peaks / peaks.sum(axis=(1, 2), keepdims=True)
    return share * g[:, None, None, :]


def class_activation_maps(
    feature_map: np.ndarray, feature_gradient: np.ndarray, pooling: str
) -> np.ndarray:
    """``ReLU(sum_k dlogit/dA_ijk * A_ijk)`` per location (see the module docstring).

    Args:
        feature_map: ``A``, shape ``(n, H, W, K)``.
        feature_gradient: ``d logit / d pooled features`` (:func:`pooled_feature_gradient`).
        pooling: ``avg``, ``max`` or ``flatten``.

    Returns:
        Non-negative ``float32`` maps ``(n, H, W)``, in logit units.
    """
    A = np.asarray(feature_map)
    g = np.asarray(feature_gradient, dtype=np.float64)
    if pooling == "flatten" or A.ndim != 4 or g.shape != (len(A), A.shape[-1]):
        # per-location gradients (flatten), or shapes feature_map_gradient will refuse
        grad = feature_map_gradient(A, g, pooling)
        cam = np.einsum("nhwk,nhwk->nhw", grad, A.astype(np.float64))
        return np.maximum(cam, 0.0).astype(np.float32)
    if pooling not in POOLING_MODES:
        feature_map_gradient(A, g, pooling)  # raises its error
    # avg / max: the gradient is g_k (spread over the locations, or put on the peaks), so
    # the sum over channels is a matrix-vector product per image; no (n, H, W, K)
    # gradient array is made.
    n, H, W, K = A.shape
    if pooling == "max":
        peaks = A == A.max(axis=(1, 2), keepdims=True)
        A = np.where(peaks, A, 0) / peaks.sum(axis=(1, 2), keepdims=True)
        weights = g
    else:
        weights = g / (H * W)
    cam = np.matmul(A.reshape(n, H * W, K).astype(np.float64), weights[:, :, None])
    return np.maximum(cam.reshape(n, H, W), 0.0).astype(np.float32)


def top_genres(proba: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` most probable genres of each row, most probable first (ties: lower index).

    The order ``predict`` lists them in.
    """
    return np.argsort(-np.asarray(proba), axis=1, kind="stable")[:, :k]


@dataclass
class Explanation:
    """Maps of some genres for a batch of images.

    Attributes:
        genre_indices: ``(n, k)`` columns of the classifier's genres, one row per image.
        probabilities: ``(n, k)`` the classifier's probability of each of them.
        maps: ``(n, k, H, W)`` non-negative ``float32`` class activation maps.
    """

    genre_indices: np.ndarray
    probabilities: np.ndarray
    maps: np.ndarray


def explain_features(
    features: np.ndarray,
    feature_map: np.ndarray,
    scaler: StandardScaler,
    pca: PCA | IncrementalPCA,
    classifier: GenreClassifier,
    pooling: str,
    *,
    top_k: int | None = None,
    genre_indices: np.ndarray | None = None,
) -> Explanation:
    """Class activation maps of the top ``k`` genres (or of chosen ones) per image.

    Args:
        features: Pooled features ``(n, D)`` (the backbone's first output).
        feature_map: The feature maps ``(n, H, W, K)`` they were pooled from.
        scaler: The fitted scaler.
        pca: The fitted PCA.
        classifier: The trained model.
        pooling: The backbone's pooling.
        top_k: Explain each image's ``top_k`` most probable genres ...
        genre_indices: ... or these genres, ``(n, k)`` (exactly one of the two).

    Returns:
        The :class:`Explanation`.

    Raises:
        ValueError: Unless exactly one of ``top_k`` and ``genre_indices`` is given.
    """
    if (top_k is None) == (genre_indices is None):
        raise ValueError("Give exactly one of top_k and genre_indices.")
    reduced = reduce_features(np.asarray(features), scaler, pca)
    proba = classifier.predict_proba(reduced)
    if genre_indices is None:
        genre_indices = top_genres(proba, min(int(top_k), proba.shape[1]))
    genre_indices = np.asarray(genre_indices, dtype=np.int64).reshape(len(proba), -1)
    n, k = genre_indices.shape
    A = np.asarray(feature_map)
    rows = np.repeat(np.arange(n), k)  # one gradient pass for every (image, genre) pair
    gradient = _through_pca_and_scaler(
        classifier.input_gradient(reduced[rows], genre_indices.ravel()), scaler, pca
    ).reshape(n, k, -1)
    maps = np.empty((n, k, *A.shape[1:3]), dtype=np.float32)
    for j in range(k):  # genre by genre: the feature maps are not copied k times
        maps[:, j] = class_activation_maps(A, gradient[:, j], pooling)
    probabilities = np.take_along_axis(proba, genre_indices, axis=1)
    return Explanation(genre_indices, probabilities, maps)


def backbone_settings_from_saved(saved: dict[str, Any]) -> BackboneSettings:
    """The :class:`BackboneSettings` of the ``backbone_settings`` catalog dataset.

    A setting added after the dataset was saved (``engine``, ``precision``, ...) takes
    its default, the value runs had before it existed.
    """
    return BackboneSettings(
        **{f.name: saved[f.name] for f in fields(BackboneSettings) if f.name in saved}
    )


class Explainer:
    """Explain paintings with the saved artefacts: backbone, scaler, PCA and a model.

    Builds the backbone once (with its feature-map output). Example (notebook)::

        explainer = Explainer(catalog.load("backbone_settings"), catalog.load(
            "feature_scaler"), catalog.load("pca"), catalog.load("adam.model"))
        explanation = explainer.explain([image], top_k=3)

    Args:
        backbone_settings: The ``backbone_settings`` dataset (what training used).
        scaler: The ``feature_scaler`` dataset.
        pca: The ``pca`` dataset.
        classifier: A trained model (``<model>.model``).

    Raises:
        IncompatibleArtefactsError: If the model was trained on other features.
    """

    def __init__(
        self,
        backbone_settings: dict[str, Any],
        scaler: StandardScaler,
        pca: PCA | IncrementalPCA,
        classifier: GenreClassifier,
    ) -> None:
        if classifier.feature_fingerprint != backbone_settings.get("fingerprint"):
            raise IncompatibleArtefactsError(
                f"Model {classifier.name!r} was trained on features of backbone "
                f"fingerprint {classifier.feature_fingerprint}, but the saved backbone "
                f"settings have {backbone_settings.get('fingerprint')}; retrain it."
            )
        self.settings = backbone_settings_from_saved(backbone_settings)
        self.scaler = scaler
        self.pca = pca
        self.classifier = classifier
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The backbone with its feature-map output (built on first use, on the saved
        settings' engine: with OpenVINO both outputs come from one compiled model)."""
        if self._model is None:
            self._model = build_explaining_backbone(self.settings)
        return self._model

    def explain(
        self,
        images: list[Image.Image],
        *,
        top_k: int | None = None,
        genre_indices: np.ndarray | None = None,
    ) -> Explanation:
        """Maps of each image's top ``k`` genres, or of the given ``genre_indices``.

        Args:
            images: Decoded paintings (any mode and size: converted as for training).
            top_k: How many of each image's most probable genres to explain ...
            genre_indices: ... or which genres, ``(len(images), k)``.

        Returns:
            The :class:`Explanation` (maps ``(n, k, H, W)``).
        """
        settings = self.settings
        pixels = np.stack(
            [
                to_model_input(img, settings.image_size, settings.resample)
                for img in images
            ]
        )
        features, feature_map = run_backbone(self.model, preprocess(settings, pixels))
        features = np.asarray(features, dtype=np.float32).reshape(len(images), -1)
        return explain_features(
            features,
            np.asarray(feature_map, dtype=np.float32),
            self.scaler,
            self.pca,
            self.classifier,
            settings.pooling,
            top_k=top_k,
            genre_indices=genre_indices,
        )
