"""The roster (``art_genre.modelling``) and the shared choices, against the YAML defaults.

The model names, image suffixes and bad-input policies are declared once in code; the
parameter files repeat some of them as defaults a user edits. These tests keep the
shipped defaults valid and in step with the declarations.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest
from kedro.config import OmegaConfigLoader

from art_genre.labels import IMAGE_SUFFIXES
from art_genre.modelling import (
    ABLATED_MODELS,
    ABLATION_STARTS,
    BASELINE_NAMES,
    MODEL_NAMES,
    REPORTED_NAMES,
    check_model_names,
)
from art_genre.pipelines.ablations.params import AblationParams
from art_genre.pipelines.predict.params import PredictParams
from art_genre.pipelines.reporting.gallery import GalleryParams
from art_genre.quality import OnBadInput
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def parameters() -> dict[str, Any]:
    """The base parameters as a run resolves them (globals, runtime defaults)."""
    loader = OmegaConfigLoader(
        str(ROOT / "conf"),
        base_env="base",
        default_run_env="local",
        merge_strategy={"parameters": "soft"},
    )
    return loader["parameters"]


def test_roster_names_are_distinct():
    assert len(set(REPORTED_NAMES)) == len(REPORTED_NAMES) == len(MODEL_NAMES) + len(
        BASELINE_NAMES
    )
    assert set(ABLATED_MODELS) <= set(MODEL_NAMES)
    assert set(ABLATION_STARTS.values()) <= set(MODEL_NAMES)


def test_reporting_defaults_follow_the_roster(parameters):
    reporting = parameters["reporting"]
    assert list(reporting["models"]) == list(REPORTED_NAMES)
    gallery = GalleryParams(model=reporting["gallery_model"])
    assert gallery.model in reporting["models"]
    assert set(reporting["study"]["results"]) <= set(MODEL_NAMES)


def test_every_model_has_its_parameters(parameters):
    for model in MODEL_NAMES:
        assert parameters[model]["name"] == model


def test_predict_defaults_are_valid(parameters):
    params = PredictParams.model_validate(parameters["predict"])
    assert params.model == PredictParams().model
    assert params.image_suffixes == sorted(IMAGE_SUFFIXES)


def test_ablation_defaults_name_ablated_models_only(parameters):
    params = AblationParams.model_validate(parameters["ablations"])
    assert set(params.study.models) == set(ABLATED_MODELS)
    for fix in params.fixes.values():
        assert set(fix.models) <= set(ABLATED_MODELS)


def test_ablations_take_each_model_s_starting_parameters_in_roster_order():
    from art_genre.pipelines.ablations import create_pipeline

    [node] = [n for n in create_pipeline().nodes if n.name == "ablations.run_ablations"]
    starts = [i for i in node.inputs if i.startswith("params:") and i != "params:ablations"]
    assert starts == [f"params:{ABLATION_STARTS[m]}" for m in ABLATED_MODELS]


def test_image_suffix_and_bad_input_defaults(parameters):
    for group in ("data_processing", "predict"):
        assert parameters[group]["image_suffixes"] == list(IMAGE_SUFFIXES), group
    for group in ("data_processing", "feature_engineering", "predict"):
        assert parameters[group]["on_bad_input"] in get_args(OnBadInput), group


def test_model_pipelines_train_every_model_of_the_roster():
    from art_genre.pipelines import baselines, networks

    outputs = baselines.create_pipeline().all_outputs()
    for pipeline in networks.create_pipelines().values():
        outputs |= pipeline.all_outputs()
    for name in REPORTED_NAMES:
        assert f"{name}.predictions" in outputs, name


def test_unknown_names_are_refused_naming_the_roster():
    check_model_names("reporting.models", ["snn", "mlp"], REPORTED_NAMES)
    with pytest.raises(ValueError, match=r"reporting.models names \['xgboost'\].*roster"):
        check_model_names("reporting.models", ["snn", "xgboost"], REPORTED_NAMES)
    with pytest.raises(ValueError):
        PredictParams(model="xgboost")
    with pytest.raises(ValueError):
        GalleryParams(model="mlp")  # a baseline has no network to explain
