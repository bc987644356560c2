"""Project settings: Kedro defaults except where noted.

See https://docs.kedro.org/en/stable/configure/configuration_basics/
"""

from kedro.config import OmegaConfigLoader

from art_genre import config_loader

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = config_loader.CONFIG_LOADER_ARGS  # base/local, soft-merged parameters

# Hooks: the run lock and the checks before the first node (hooks/guards.py), the run
# manifest (data/08_reporting/run_manifest.json) and the MLflow run history, and one line
# for a user's mistake. kedro-mlflow's own hook is not auto-registered: MlflowTrackingHook
# creates it only where tracking is on (conf/<env>/mlflow.yml), so that an environment
# without tracking (test) never imports MLflow nor opens its database.
from art_genre.hooks import (  # noqa: E402
    ClearErrorsHook,
    MlflowTrackingHook,
    RunGuardHook,
    RunManifestHook,
)

_MANIFEST_HOOK = RunManifestHook()
HOOKS = (
    RunGuardHook(), _MANIFEST_HOOK, MlflowTrackingHook(_MANIFEST_HOOK), ClearErrorsHook(),
)
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")  # its metadata name
