"""The evaluation tests share the reporting tests' fakes (predictions of six models)."""

from tests.pipelines.reporting.conftest import (  # noqa: F401  (fixtures)
    calibrations,
    evaluated,
    painting_index,
    predictions,
    reporting_params,
    split_summary,
)
