"""``bnn``: the boosted ensemble, as real gradient boosting and as the study ran it."""

from kedro.pipeline import Pipeline

from art_genre.modelling import BNN, BNN_STUDY
from art_genre.modelling.pipeline import model_pipeline


def create_pipeline(**kwargs) -> Pipeline:
    """Two instances of the model template (parameters: ``parameters_bnn.yml``).

    ``bnn``: gradient boosting in logit space (each stage fits the residual of the
    ensemble so far). ``bnn_study``: the study's scheme (nets fitted to renormalised
    residuals, outputs averaged), trained beside it so that the report shows what the fix
    changes.
    """
    return model_pipeline(BNN) + model_pipeline(BNN_STUDY)
