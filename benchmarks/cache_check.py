"""Benchmark the content-aware feature cache: what the digest check costs on a cached rerun.

The feature cache compares a content digest of every image file (BLAKE2b of its bytes,
``FileDigestDataset``) with the digest cached beside its features, so that an image
replaced under the same name is extracted again. This script measures the cost of that
check where it matters most, on a rerun with everything cached, in one process:

1. a throw-away copy of the project indexes the folder and fills the cache (cold run);
2. then, alternating ``--repeats`` times, the cached work of ``feature_engineering``'s
   cache nodes (``plan_feature_shards`` + ``assemble_features`` on the catalog's
   datasets) by name only and with the digest check (``digest_images`` included);
3. it prints the medians, their ratio and the overhead against a whole cached
   ``kedro run --pipelines feature_engineering`` (also timed, digests included).

Run from the project root (real data beside the project; ImageNet MobileNet 0.25 from
the shared Keras folder)::

    KERAS_HOME=../shared/keras python benchmarks/cache_check.py \\
        --data-dir ../shared/data/wikiart-styles
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared/data/wikiart-styles")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backbone", default="mobilenet")
    parser.add_argument("--alpha", type=float, default=0.25)
    parser.add_argument("--weights", default="imagenet")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from art_genre.features.params import FeatureEngineeringParams
    from art_genre.pipelines.feature_engineering.nodes import (
        assemble_features,
        digest_images,
        plan_feature_shards,
    )

    params = {
        "data_dir": str(args.data_dir.resolve()),
        "feature_engineering": {
            "backbone": {"name": args.backbone, "alpha": args.alpha,
                         "weights": None if args.weights == "none" else args.weights},
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        shutil.copy(ROOT / "pyproject.toml", project)
        shutil.copy(ROOT / ".telemetry", project)
        shutil.copytree(ROOT / "conf", project / "conf",
                        ignore=shutil.ignore_patterns("local"))
        (project / "conf" / "local").mkdir()
        (project / "src").mkdir()  # the package itself is installed
        # No MLflow in the measurement.
        (project / "conf/base/mlflow.yml").write_text(
            "tracking:\n  disable_tracking:\n    pipelines: [__all__]\n"
        )
        os.chdir(project)
        bootstrap_project(project)

        def run(pipeline: str) -> float:
            start = time.perf_counter()
            with KedroSession.create(project_path=project, runtime_params=params) as session:
                session.run(pipeline_names=[pipeline])
            return time.perf_counter() - start

        run("data_processing")
        cold = run("feature_engineering")
        warm = run("feature_engineering")

        with KedroSession.create(project_path=project, runtime_params=params) as session:
            context = session.load_context()
            catalog = context.catalog
            fe = FeatureEngineeringParams.model_validate(
                context.params["feature_engineering"]
            )
            index = catalog.load("painting_index")
            images = catalog.load("painting_images")

            def by_name() -> None:
                shards = catalog.load("cached_feature_shards")
                assert plan_feature_shards(images, index, shards, fe) == {}
                assemble_features(shards, index, fe)

            def with_digests() -> None:
                digests = digest_images(catalog.load("painting_digests"), index)
                shards = catalog.load("cached_feature_shards")
                assert plan_feature_shards(images, index, shards, fe, digests) == {}
                assemble_features(shards, index, fe, digests)

            times: dict[str, list[float]] = {"by name": [], "with digests": []}
            by_name()  # warm the file system cache and imports once
            for _ in range(args.repeats):
                for label, work in (("by name", by_name), ("with digests", with_digests)):
                    start = time.perf_counter()
                    work()
                    times[label].append(time.perf_counter() - start)

    n = len(index)
    name, digest = (statistics.median(times[k]) for k in ("by name", "with digests"))
    print(f"data: {args.data_dir} ({n} images), backbone {args.backbone} {args.alpha} "
          f"{args.weights}")
    print(f"cold feature_engineering run (extraction): {cold:.1f} s")
    print(f"cached feature_engineering run (digests on): {warm:.1f} s")
    print(f"cache nodes, by name only:    {name * 1000:.0f} ms (median of {args.repeats})")
    print(f"cache nodes, with digests:    {digest * 1000:.0f} ms "
          f"({(digest - name) / n * 1e6:.0f} us per image)")
    print(f"ratio with/without digest check: {digest / name:.2f}x; "
          f"overhead {100 * (digest - name) / warm:.1f} % of the cached run")


if __name__ == "__main__":
    main()
