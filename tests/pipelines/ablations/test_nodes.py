"""The ablations: configurations resolved from the study's, effects with intervals."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from art_genre.pipeline_registry import register_pipelines
from art_genre.pipelines.ablations.nodes import resolve_configurations, run_ablations
from art_genre.pipelines.ablations.params import AblationParams
from tests.conftest import ROOT
from tests.synthetic import SPLITS, synthetic_model_input

pytestmark = pytest.mark.slow  # trains every ablation configuration

BASE = {
    "snn": {"name": "snn", "model": {"hidden_sizes": [16], "epochs": 8, "batch_size": 8,
                                     "optimizer": {"name": "sgd", "learning_rate": 0.05}}},
    "adam": {"name": "adam", "model": {"hidden_sizes": [16], "epochs": 8, "batch_size": 8,
                                       "init": "he",
                                       "optimizer": {"name": "adam", "learning_rate": 0.01}}},
    "bnn": {"name": "bnn_study", "model": {
        "hidden_sizes": [16], "epochs": 4, "batch_size": 8,
        "optimizer": {"name": "sgd", "learning_rate": 0.05, "clip_value": 0.5},
        "boosting": {"variant": "study", "n_stages": 2}}},
}


def _params(**overrides) -> AblationParams:
    """The shipped parameters (conf/base) with fewer seeds and resamples."""
    shipped = yaml.safe_load((ROOT / "conf/base/parameters_ablations.yml").read_text())
    shipped = shipped["ablations"] | {"seeds": [42, 7], "bootstrap": {"n_boot": 200, "seed": 0}}
    return AblationParams.model_validate(shipped | overrides)


def test_configurations_change_one_thing_each():
    configs = resolve_configurations(_params(), BASE)
    assert list(configs)[0] == "study" and list(configs)[-1] == "all_fixes"
    study = configs["study"]
    assert (study.pca_fit_on, study.thresholds) == ("all", "0.5")
    assert study.models["snn"].init == "small"
    assert study.models["adam"].optimizer.step_counter == "double"
    assert study.models["bnn"].boosting.variant == "study"
    assert all(m.seeds == [42, 7] for m in study.models.values())
    he = configs["he_init"]
    assert he.models["snn"].init == "he" and he.models["adam"] == study.models["adam"]
    assert he.touches == ("snn", "bnn") and he.pca_fit_on == "all"
    assert configs["pca_on_train"].pca_fit_on == "train"
    assert configs["pca_on_train"].touches == ("snn", "adam", "bnn")
    assert configs["adam_step_counter"].models["adam"].optimizer.step_counter == "single"
    every = configs["all_fixes"]
    assert (every.pca_fit_on, every.thresholds) == ("train", "tuned")
    assert every.models["snn"].init == "he"
    assert every.models["snn"].class_weighting == "inverse_frequency"
    assert every.models["bnn"].boosting.variant == "gradient"
    assert every.models["adam"].optimizer.step_counter == "single"
    # what the environment sets and no fix touches stays
    assert every.models["adam"].hidden_sizes == [16]


def test_bad_ablation_parameters_fail_validation():
    with pytest.raises(ValidationError, match="not ablated"):
        _params(fixes={"x": {"models": {"resnet": {"init": "he"}}}})
    with pytest.raises(ValidationError, match="reserved"):
        _params(fixes={"study": {"thresholds": "tuned"}})
    with pytest.raises(ValidationError, match="pca_fit_on and thresholds"):
        _params(study={"models": {}})


@pytest.fixture(scope="module")
def model_inputs():
    train = synthetic_model_input((60, 20, 30), width=8, genres=["a", "b", "c"],
                                  centre_scale=2.0, fingerprint="f")
    shifted = {**train}  # the same images and labels, other features
    for split in SPLITS:
        shifted[split] = {**train[split], "X": train[split]["X"] + np.float32(0.1)}
    return {"train": train, "all": shifted}


def test_run_ablations_measures_each_fix_against_the_study(model_inputs):
    results, effects = run_ablations(model_inputs, BASE["snn"], BASE["adam"], BASE["bnn"], _params())
    assert set(results["configuration"]) == {
        "study", "he_init", "adam_step_counter", "pca_on_train", "class_weighting",
        "bnn_gradient", "tuned_thresholds", "all_fixes",
    }
    assert set(results["seed"]) == {42, 7}
    touched = effects.groupby("configuration", sort=False)["model"].unique().map(list).to_dict()
    assert touched["adam_step_counter"] == ["adam"]
    assert touched["he_init"] == ["snn", "bnn"]
    assert touched["tuned_thresholds"] == ["snn", "adam", "bnn"]
    assert set(effects["metric"]) == {"macro_f1", "any_match_accuracy"}
    assert (effects["low"] <= effects["difference"] + 1e-9).all()
    assert (effects["difference"] <= effects["high"] + 1e-9).all()
    np.testing.assert_allclose(effects["difference"], effects["fixed"] - effects["study"], atol=2e-6)
    # thresholds change no ranking: any-match is untouched by tuning them
    tuned = effects[(effects["configuration"] == "tuned_thresholds")
                    & (effects["metric"] == "any_match_accuracy")]
    assert (tuned["difference"] == 0).all()


def test_ablations_run_on_request_only():
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(ROOT)
    pipelines = register_pipelines()
    assert "ablations" in pipelines
    assert not set(pipelines["ablations"].all_outputs()) & set(pipelines["__default__"].all_outputs())


def test_all_fixes_deep_merges_colliding_blocks():
    """Two fixes touching one nested block (adam's optimizer) are both kept; two fixes
    setting one key to different values are refused by name."""
    from art_genre.pipelines.ablations.nodes import combine_fixes

    fixes = {
        "adam_step_counter": {"adam": {"optimizer": {"step_counter": "single"}}},
        "adam_rate": {"adam": {"optimizer": {"learning_rate": 0.02}}},
    }
    shipped = _params().model_dump(exclude_none=True)
    shipped["fixes"]["adam_rate"] = {"models": fixes["adam_rate"]}
    every = resolve_configurations(AblationParams.model_validate(shipped), BASE)["all_fixes"]
    assert every.models["adam"].optimizer.step_counter == "single"
    assert every.models["adam"].optimizer.learning_rate == 0.02
    assert every.models["adam"].optimizer.name == "adam"  # the base stays
    merged = combine_fixes({n: f["adam"] for n, f in fixes.items()})
    assert merged == {"optimizer": {"step_counter": "single", "learning_rate": 0.02}}
    clash = {"a": {"optimizer": {"clip_value": 1.0}}, "b": {"optimizer": {"clip_value": 2.0}}}
    with pytest.raises(ValueError, match="'a' and 'b' both set optimizer.clip_value"):
        combine_fixes(clash)
    shipped["fixes"]["pca_again"] = {"pca_fit_on": "all"}
    with pytest.raises(ValueError, match="both set pca_fit_on"):
        resolve_configurations(AblationParams.model_validate(shipped), BASE)


def test_ablation_report_leads_with_the_largest_single_fix():
    import pandas as pd

    from art_genre.pipelines.ablations.nodes import _effects_table
    from art_genre.pipelines.ablations.report import ablation_report, largest_effect

    rows = [
        ["he_init", "snn", "macro_f1", "0.5", 0.186, 0.760, 0.574, 0.45, 0.65, 0.0002],
        ["he_init", "snn", "any_match_accuracy", "none", 0.8, 0.87, 0.07, 0.04, 0.11, 0.001],
        ["class_weighting", "adam", "macro_f1", "0.5", 0.78, 0.80, 0.02, -0.01, 0.05, 0.20],
        ["class_weighting", "adam", "any_match_accuracy", "none", 0.9, 0.9, 0.0, -0.01, 0.01,
         1.0],
        ["all_fixes", "snn", "macro_f1", "tuned", 0.186, 0.83, 0.645, 0.56, 0.70, 0.0002],
        ["all_fixes", "snn", "any_match_accuracy", "none", 0.8, 0.88, 0.08, 0.04, 0.12, 0.02],
    ]
    effects = _effects_table(rows)
    # Holm within a metric (3 effects each): sorted 0.0002, 0.0002, 0.2 -> x3, x2, x1
    assert list(effects["p_adjusted"]) == [0.0006, 0.003, 0.2, 1.0, 0.0006, 0.04]
    assert list(effects["distinguishable"]) == [True, True, False, False, True, True]
    sentence = largest_effect(effects)
    assert sentence.startswith("The largest effect of a single fix: `he_init`")
    assert "1 of 2 single-fix effects" in sentence
    results = pd.DataFrame({"seed": [42, 7]})
    md, html = ablation_report(effects, results, b"png", "data")
    assert md.index("## Summary") < md.index("| configuration |")
    assert largest_effect(effects.assign(distinguishable=False)).startswith("No single fix")
