"""What the page's views cost predict: each painting's decoding for the features, with
and without keeping its size and thumbnail (``predict``'s ``_keeping_views``).

Per round, every image of ``--folder`` is opened lazily and turned into the model input
(``to_model_input``, as the features are), once plain and once through the loader that
also keeps the views; the two alternate image by image and the medians of the round
totals are compared. Prints the ratio (views / plain); the backbone itself is not run,
so the ratio is the upper bound of the cost on predict's wall time.

    python benchmarks/thumbnail_cost.py --folder /path/to/paintings [--draft]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_line  # noqa: E402

from art_genre.features.images import to_model_input  # noqa: E402
from art_genre.pipelines.predict.nodes import _keeping_views  # noqa: E402
from art_genre.pipelines.predict.params import PredictParams  # noqa: E402


def main() -> None:
    """Measure and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--draft", action="store_true", help="backbone.jpeg_draft on")
    args = parser.parse_args()
    files = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in {".jpg", ".png"})
    draft = (224, 224) if args.draft else None
    params = PredictParams()
    totals: dict[str, list[float]] = {"plain": [], "views": []}
    for _ in range(args.rounds):
        spent = {"plain": 0.0, "views": 0.0}
        for path in files:
            for kind in ("plain", "views"):
                start = time.perf_counter()
                source = partial(Image.open, path)
                load = source if kind == "plain" else _keeping_views(
                    path.name, source, {}, params, draft)
                to_model_input(load(), draft=args.draft)
                spent[kind] += time.perf_counter() - start
        for kind, seconds in spent.items():
            totals[kind].append(seconds)
    plain, views = (statistics.median(totals[k]) for k in ("plain", "views"))
    print(machine_line())
    print(f"{len(files)} images, {args.rounds} rounds, jpeg_draft {args.draft}: decoding "
          f"{plain / len(files) * 1e3:.2f} ms/image, with views {views / len(files) * 1e3:.2f}"
          f" ms/image: ratio {views / plain:.2f}")


if __name__ == "__main__":
    main()
