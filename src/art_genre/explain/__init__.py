"""Why this genre: class activation maps of the predictions (issue 15).

* :mod:`.cam` — maps from the classifier head's exact input gradient and the backbone's
  last feature map (no TensorFlow gradient).
* :mod:`.overlay` — the painting with a map per genre, as an image a person reads at a
  glance.

The report's gallery of test paintings is a reporting node:
:mod:`art_genre.pipelines.reporting.gallery`.
"""

from art_genre.explain.cam import (
    Explainer,
    Explanation,
    class_activation_maps,
    explain_features,
    feature_map_gradient,
    pooled_feature_gradient,
    top_genres,
)

__all__ = [
    "Explainer",
    "Explanation",
    "class_activation_maps",
    "explain_features",
    "feature_map_gradient",
    "pooled_feature_gradient",
    "top_genres",
]
