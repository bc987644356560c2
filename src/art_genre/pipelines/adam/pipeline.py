"""``adam``: the study's network with He initialisation, trained with Adam."""

from kedro.pipeline import Pipeline

from art_genre.modelling import ADAM
from art_genre.modelling.pipeline import model_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    """The model template in namespace ``adam`` (parameters: ``parameters_adam.yml``)."""
    return model_pipeline(ADAM)
