"""``data_processing`` as Kedro runs it: on the bundled sample and on the real data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import BEST_ARTWORKS, WIKIART_STYLES, needs, run_kedro

pytestmark = pytest.mark.slow  # whole pipeline runs, real data where present


def _outputs(project):
    index = pd.read_csv(project / "data/03_primary/painting_index.csv", keep_default_na=False)
    report = pd.read_csv(project / "data/08_reporting/data_quality_report.csv")
    summary = json.loads((project / "data/03_primary/split_summary.json").read_text())
    return index, report, summary


def test_pipeline_on_the_bundled_sample(kedro_project):
    run_kedro(kedro_project, "data_processing")
    index, report, summary = _outputs(kedro_project)
    csv = pd.read_csv(kedro_project / "data/01_raw/sample/artists.csv")
    assert len(index) == csv["paintings"].sum()
    assert report.empty
    assert set(index["split"]) == {"train", "val", "test"}
    assert summary["n_images"]["test"] == round(0.2 * len(index) + 0.4999)
    assert (kedro_project / "data/03_primary/genre_vocabulary.json").exists()


def test_data_dir_is_chosen_at_run_time(kedro_project, sample_generator, tmp_path):
    other = tmp_path / "elsewhere"
    counts = sample_generator.make_sample(other, layout="folders", images_per_artist=3)
    run_kedro(kedro_project, "data_processing", {"data_dir": str(other)})
    index, _, _ = _outputs(kedro_project)
    assert len(index) == counts["images"]
    assert (index["artist"] == "").all()


def test_fail_mode_stops_the_run_naming_the_file(kedro_project):
    (kedro_project / "data/01_raw/sample/resized/.DS_Store").write_bytes(b"\0")
    with pytest.raises(Exception, match=r"\.DS_Store"):
        run_kedro(
            kedro_project, "data_processing", {"data_processing": {"on_bad_input": "fail"}}
        )


def test_bad_parameter_is_refused_before_any_node_runs(kedro_project):
    with pytest.raises(Exception, match="split"):
        run_kedro(kedro_project, "data_processing", {"data_processing": {"split": {"test_size": 1.5}}})
    assert not (kedro_project / "data/03_primary/painting_index.csv").exists()


@pytest.mark.real_data
@needs(BEST_ARTWORKS)
def test_real_best_artworks(kedro_project):
    run_kedro(kedro_project, "data_processing", {"data_dir": str(BEST_ARTWORKS)})
    index, report, summary = _outputs(kedro_project)
    assert len(index) == 965
    assert not (report["stage"] == "labels").any() or (
        report.loc[report["stage"] == "labels", "file"] == "artists.csv"
    ).all()  # 0 unmatched images; only the 46 CSV artists without images are listed
    assert len(summary["genres"]) == 5
    genres = index.groupby("artist")["genres"].first().to_dict()
    assert genres == {
        "Gustav Klimt": "Symbolism|Art Nouveau",
        "Henri Matisse": "Impressionism|Post-Impressionism",
        "Jackson Pollock": "Abstract Expressionism",
        "Vincent van Gogh": "Post-Impressionism",
    }
    assert index["artist"].value_counts().to_dict() == {
        "Vincent van Gogh": 702,
        "Henri Matisse": 149,
        "Gustav Klimt": 94,
        "Jackson Pollock": 20,
    }


@pytest.mark.real_data
@needs(WIKIART_STYLES)
def test_real_wikiart_styles(kedro_project):
    run_kedro(kedro_project, "data_processing", {"data_dir": str(WIKIART_STYLES)})
    index, report, summary = _outputs(kedro_project)
    assert len(index) == 2100 and report.empty
    assert len(summary["genres"]) == 7
    assert (index["genres"].value_counts() == 300).all()
