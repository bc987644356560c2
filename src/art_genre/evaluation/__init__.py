"""How models are scored and compared, shared by ``reporting`` and ``ablations``.

- :mod:`.runs`: typed views of a model's predictions over seeds;
- :mod:`.metrics`: multi-label metrics and threshold tuning (scikit-learn);
- :mod:`.results`: the long results table and what derives from it (``metrics.json``);
- :mod:`.calibration`: Brier score, expected calibration error, temperature scaling;
- :mod:`.statistics`: the two-level bootstrap (seeds and test units), paired
  comparisons with Holm-adjusted p-values.
"""
