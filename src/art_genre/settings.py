"""Project settings: Kedro defaults except where noted.

See https://docs.kedro.org/en/stable/configure/configuration_basics/
"""

from kedro.config import OmegaConfigLoader

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # An environment (conf/local, conf/test) overrides parameters key by key instead of
    # replacing whole top-level groups: conf/test only lists what it changes.
    "merge_strategy": {"parameters": "soft"},
}
