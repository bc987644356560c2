"""The code of the logged MLflow model ("models from code"): MLflow runs this file to
build the model, instead of unpickling one. See :mod:`art_genre.serving`."""

import mlflow.models

from art_genre.serving import GenreModel

mlflow.models.set_model(GenreModel())
