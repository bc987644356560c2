"""Project hooks (registered in ``settings.py``); the only package outside ``pipelines/``
and ``datasets/`` that imports Kedro.

* :mod:`.guards`: the run lock, the checks before the first node, one-line errors;
* :mod:`.tracking`: the run manifest and the MLflow run history.
"""

from .guards import (
    ClearErrorsHook,
    RunGuardHook,
    one_line,
    parameter_problems,
    user_error,
)
from .tracking import (
    MlflowTrackingHook,
    RunManifestHook,
    build_manifest,
    manifest_tags,
)

__all__ = [
    "ClearErrorsHook",
    "MlflowTrackingHook",
    "RunGuardHook",
    "RunManifestHook",
    "build_manifest",
    "manifest_tags",
    "one_line",
    "parameter_problems",
    "user_error",
]
