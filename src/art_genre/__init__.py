"""art genre
"""

import logging

__version__ = "0.1"


class _WithoutMlflowTypeHintAdvice(logging.Filter):
    """Drops MLflow's advice to add type hints to kedro-mlflow's ``KedroPipelineModel``.

    kedro-mlflow 2.x defines that class (an MLflow ``PythonModel`` whose ``predict`` has
    no type hints) when any ``kedro`` command loads its CLI plugin, and MLflow warns at
    that moment. MLflow forces that warning through (``simplefilter("once")`` around its
    check), so a warnings filter cannot hold it back: Kedro routes warnings to the
    ``py.warnings`` logger, and this filter drops that one message there. This project
    does not use the class; its own model (:mod:`art_genre.serving`) has a signature.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "Add type hints to the `predict` method" not in record.getMessage()


logging.getLogger("py.warnings").addFilter(_WithoutMlflowTypeHintAdvice())
