"""How models are scored and compared, shared by ``reporting`` and ``ablations``.

- :mod:`.runs`: typed views of a model's predictions over seeds;
- :mod:`.metrics`: multi-label metrics and threshold tuning (scikit-learn);
- :mod:`.results`: the long results table and what derives from it (``metrics.json``);
- :mod:`.statistics`: bootstrap intervals and paired comparisons over test images.
"""
