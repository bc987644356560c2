"""``snn``: the study's simple network, trained with plain mini-batch SGD."""

from kedro.pipeline import Pipeline

from art_genre.modelling import SNN
from art_genre.modelling.pipeline import model_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    """The model template in namespace ``snn`` (parameters: ``parameters_snn.yml``)."""
    return model_pipeline(SNN)
