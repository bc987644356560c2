"""The report's gallery: test paintings, right and wrong, with the maps behind the verdict.

Node :func:`explain_gallery` (reporting pipeline, output ``plot_cam_gallery``) picks a few
test paintings of one model (``reporting.gallery_model``): the most confident correct
predictions, one genre after another, and the most confident mistakes. Each painting gets
two maps on one colour scale: for a mistake the true genre's and the predicted genre's
(what the model saw for the wrong answer, and what it made of the right one); for a
correct prediction the predicted genre's and the runner-up's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import expit

from art_genre.explain.cam import Explainer
from art_genre.explain.overlay import blend_map, genre_title
from art_genre.features.images import to_display_image
from art_genre.modelling import ADAM, ModelName

logger = logging.getLogger(__name__)

__all__ = ["GalleryParams", "choose_gallery", "explain_gallery"]


class GalleryParams(BaseModel):
    """The gallery's parameters (``reporting.gallery_model``, ``reporting.gallery_images``).

    Attributes:
        model: The model whose test predictions are explained.
        images: How many test paintings to show (half of them mistakes, if there are).
    """

    model_config = ConfigDict(extra="forbid")

    model: ModelName = ADAM
    images: int = Field(6, ge=1, le=24)


def choose_gallery(
    proba: np.ndarray, Y: np.ndarray, n_images: int
) -> list[tuple[int, bool, list[int]]]:
    """Which test rows to show, whether each is right, and which two genres to map.

    Up to half the gallery is mistakes (top-1 genre not among the true genres), the most
    confident first; the rest correct predictions, the most confident first, one per
    predicted genre before any genre repeats.

    Args:
        proba: Predicted probabilities ``(n, G)``.
        Y: True genres ``(n, G)``, multi-hot.
        n_images: How many rows to choose.

    Returns:
        ``(row, correct, [genre, genre])`` per chosen row: correct rows first. The genres
        are ``[predicted, runner-up]`` for correct rows and ``[true, predicted]`` for
        mistakes (the true genre the model found most probable).
    """
    proba = np.asarray(proba, dtype=np.float64)
    truth = np.asarray(Y) > 0.5
    if not len(proba):
        return []
    order = np.argsort(-proba, axis=1, kind="stable")
    top = order[:, 0]
    confidence = proba[np.arange(len(proba)), top]
    correct = truth[np.arange(len(proba)), top]
    by_confidence = np.argsort(-confidence, kind="stable")
    wrong = [int(i) for i in by_confidence if not correct[i]]
    right = [int(i) for i in by_confidence if correct[i]]
    n_wrong = min(len(wrong), n_images // 2 if right else n_images)
    n_right = min(len(right), n_images - n_wrong)
    seen: set[int] = set()
    diverse = []
    for i in right:  # one per predicted genre first, then the rest by confidence
        if top[i] not in seen:
            seen.add(int(top[i]))
            diverse.append(i)
    picked_right = (diverse + [i for i in right if i not in diverse])[:n_right]
    chosen = [(i, True, [int(top[i]), int(order[i, 1])]) for i in picked_right]
    for i in wrong[:n_wrong]:
        masked = np.where(truth[i], proba[i], -np.inf)
        true_genre = int(np.argmax(masked)) if truth[i].any() else int(order[i, 1])
        chosen.append((i, False, [true_genre, int(top[i])]))
    return chosen


def explain_gallery(
    reporting_predictions: Mapping[str, Mapping[str, Any]],
    painting_images: Mapping[str, Callable[[], Any]],
    backbone_settings: dict[str, Any],
    feature_scaler: Any,
    pca: Any,
    gallery_model: str,
    gallery_images: int,
    **models: Any,
) -> Figure:
    """Draw the gallery of explained test paintings (see the module docstring).

    Args:
        reporting_predictions: ``{model: <model>.predictions}`` of the reported models.
        painting_images: The painting folder (partitioned dataset): id → lazy loader.
        backbone_settings: The backbone settings training saved.
        feature_scaler: The fitted scaler.
        pca: The fitted PCA.
        gallery_model: ``reporting.gallery_model``.
        gallery_images: ``reporting.gallery_images``.
        **models: ``<model>_model``: every trained model (``<model>.model``).

    Returns:
        The figure: per painting, the painting and its two maps, titled.

    Raises:
        ValueError: If the gallery's model is not among the reported ones.
    """
    params = GalleryParams(model=gallery_model, images=gallery_images)
    if params.model not in reporting_predictions:
        raise ValueError(
            f"reporting.gallery_model={params.model!r} is not reported; add it to "
            f"reporting.models ({list(reporting_predictions)})."
        )
    predictions = reporting_predictions[params.model]
    test = predictions["test"]
    ids, rows = _paintings_at_hand(list(test["image_ids"]), painting_images)
    # the first seed's model: the one saved as `<model>.model`, explained below
    proba = expit(np.asarray(test["logits"], dtype=np.float64)[0])
    chosen = choose_gallery(proba[rows], np.asarray(test["Y"])[rows], params.images)
    figure = Figure(figsize=(13, 0.4 + 2.5 * max(1, (len(chosen) + 1) // 2)), dpi=110)
    if not chosen:
        figure.text(0.5, 0.5, "No test paintings to explain.", ha="center", va="center")
        return figure
    explainer = Explainer(backbone_settings, feature_scaler, pca, models[f"{params.model}_model"])
    images = [painting_images[ids[rows[i]]]() for i, _, _ in chosen]
    explanation = explainer.explain(images, genre_indices=np.array([g for _, _, g in chosen]))
    _draw_rows(figure, chosen, images, explanation, [ids[r] for r in rows],
               list(predictions["genres"]))
    figure.suptitle(
        f"Why this genre: {params.model} on test paintings; red = the regions that raise "
        "the genre's logit (class activation maps, one colour scale per painting)",
        fontsize=10,
    )
    figure.tight_layout()
    return figure


def _paintings_at_hand(
    ids: list[str], painting_images: Mapping[str, Callable[[], Any]]
) -> tuple[list[str], np.ndarray]:
    """The test ids, and the rows whose painting is in the folder (the others logged)."""
    available = np.array([i in painting_images for i in ids], dtype=bool)
    if not available.all():
        logger.warning(
            "Gallery: %d of %d test paintings are not in the painting folder; skipped.",
            int((~available).sum()),
            len(ids),
        )
    return ids, np.flatnonzero(available)


def _draw_rows(
    figure: Figure,
    chosen: list[tuple[int, bool, list[int]]],
    images: list[Any],
    explanation: Any,
    names: list[str],
    genres: list[str],
) -> None:
    """Two paintings a row: each painting, then the maps of its two genres, titled.

    ``names`` are the image ids of the rows ``chosen`` indexes.
    """
    axes = figure.subplots((len(chosen) + 1) // 2, 6, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for n, ((i, correct, pair), image) in enumerate(zip(chosen, images, strict=True)):
        painting = to_display_image(image, 320)
        maps = explanation.maps[n]
        peak = float(maps.max())
        labels = ["predicted", "runner-up"] if correct else ["true", "predicted"]
        panels = [
            (painting, ("right:\n" if correct else "wrong:\n") + PurePosixPath(names[i]).name),
            *(
                (
                    blend_map(painting, maps[j], peak),
                    f"{labels[j]}:\n{genre_title(genres[pair[j]], explanation.probabilities[n, j])}",
                )
                for j in range(2)
            ),
        ]
        for k, (picture, title) in enumerate(panels):
            ax = axes[n // 2, 3 * (n % 2) + k]
            ax.imshow(np.asarray(picture))
            colour = "black" if k else ("tab:green" if correct else "tab:red")
            ax.set_title(title, fontsize=8, color=colour, loc="left")
