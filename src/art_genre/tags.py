"""The stage tags: every node carries one (``kedro run --tags train``).

A node whose output lives in memory carries its readers' tags too, so that each stage
runs alone after a full run. kedro-viz lists the tags in its filter, so the DAG can be
narrowed to, say, the training nodes of every model at once. The stages follow the flow:

========  ==============================================================================
prepare   data_processing: scan, clean, label, verify, split
extract   feature_engineering: image digests, backbone features, their assembly
reduce    the scaler and PCA fitted on train; the model input
train     every network and baseline over the seeds, with its predictions of the splits
evaluate  results, metrics, intervals, paired tests, thresholds
report    plots, the activation-map gallery, the report
predict   new paintings (the ``predict`` pipeline)
========  ==============================================================================
"""

PREPARE = "prepare"
EXTRACT = "extract"
REDUCE = "reduce"
TRAIN = "train"
EVALUATE = "evaluate"
REPORT = "report"
PREDICT = "predict"

STAGES = (PREPARE, EXTRACT, REDUCE, TRAIN, EVALUATE, REPORT, PREDICT)
"""Every stage tag, in the order of the flow."""
