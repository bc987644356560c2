"""How the configuration is read: the config loader's arguments.

``settings.py`` hands them to Kedro; the run guards (:mod:`art_genre.hooks.guards`) read
the configuration again with them, as the run reads it. Kept apart from ``settings.py``,
which imports the hooks, so that the hooks need not import the settings.
"""

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # An environment (conf/local, conf/test) overrides parameters key by key instead of
    # replacing whole top-level groups: conf/test only lists what it changes.
    "merge_strategy": {"parameters": "soft"},
}
