"""Deletion benchmark of the class activation maps (issue 15).

Do the maps point at what the model uses? For each test painting, its top-1 genre's map
ranks the cells of the backbone's feature-map grid (7 x 7 at 224 px); the cells are blanked
(filled with the painting's mean colour, or with the painting blurred: ``--fill blur``) one group after another, most important first, and
the model's probability of that genre is recorded after each step. The same is done with
the cells in a random order (one seeded order per painting). If the map is faithful the
probability falls faster when the map chooses: the area under the curve of probability vs
fraction blanked (AUC) is smaller for the map than for random order, ratio < 1.

It also runs the sanity check of Adebayo et al. (2018) on the same paintings: the maps of
the trained model against those of the same architecture with re-drawn random weights
(Spearman rank correlation per painting; a map that ignores the model stays near 1).

Run from the project root after a training run on the data, with the same parameters, e.g.::

    export KERAS_HOME=../shared/keras
    P=feature_engineering.backbone.name=mobilenet,feature_engineering.backbone.alpha=0.25
    kedro run --env improved --params "data_dir=../shared/data/best-artworks,$P"
    python benchmarks/cam_deletion.py --data-dir ../shared/data/best-artworks --n 150

Everything (index, images, backbone settings, scaler, PCA, model) is read through the
catalog, as ``predict`` reads it.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

import numpy as np  # noqa: E402

from art_genre.modelling import ADAM, MODEL_NAMES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="the data_dir of the training run")
    parser.add_argument("--env", default="improved", help="Kedro environment of the run")
    parser.add_argument("--model", default=ADAM, choices=list(MODEL_NAMES))
    parser.add_argument("--n", type=int, default=150, help="test paintings (at most)")
    parser.add_argument("--steps", type=int, default=24, help="blanking steps from 0 to all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fill",
        default="mean",
        choices=["mean", "blur"],
        help="what a blanked cell shows: the painting's mean colour, or the painting "
        "blurred (Gaussian, radius 1/14 of the side: less unlike a painting)",
    )
    return parser.parse_args(argv)


def load_artefacts(data_dir: str, env: str, model: str) -> dict:
    """The run's artefacts, through the catalog."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(ROOT)
    with KedroSession.create(
        project_path=ROOT, env=env, runtime_params={"data_dir": data_dir}
    ) as session:
        catalog = session.load_context().catalog
        names = ["painting_index", "painting_images", "backbone_settings", "feature_scaler", "pca"]
        out = {name: catalog.load(name) for name in names}
        out["model"] = catalog.load(f"{model}.model")
    return out


def blank_order_masks(order: np.ndarray, counts: list[int], grid: tuple[int, int], side: int):
    """Pixel masks ``(len(counts), side, side)``: the first ``count`` cells of ``order``."""
    H, W = grid
    masks = np.zeros((len(counts), H * W), dtype=bool)
    for s, count in enumerate(counts):
        masks[s, order[:count]] = True
    cells = masks.reshape(len(counts), H, W)
    return np.kron(cells, np.ones((side // H, side // W), dtype=bool)).astype(bool)


def filler(pixels: np.ndarray, fill: str) -> np.ndarray:
    """What blanked pixels become: the mean colour, or the painting blurred."""
    if fill == "mean":
        return np.broadcast_to(pixels.reshape(-1, 3).mean(axis=0).astype(np.uint8), pixels.shape)
    from PIL import Image, ImageFilter

    radius = pixels.shape[0] / 14
    return np.asarray(Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(radius)))


def probability_curve(
    explainer, pixels: np.ndarray, masks: np.ndarray, genre: int, fill: str
) -> np.ndarray:
    """The model's probability of ``genre`` with the masked cells blanked, per step."""
    from art_genre.features import preprocess
    from art_genre.features.reduction import reduce_features

    batch = np.repeat(pixels[None], len(masks), axis=0)
    blank = np.repeat(filler(pixels, fill)[None], len(masks), axis=0)
    batch[masks] = blank[masks]
    features, _ = explainer.model.predict_on_batch(preprocess(explainer.settings, batch))
    features = np.asarray(features, np.float32).reshape(len(batch), -1)
    reduced = reduce_features(features, explainer.scaler, explainer.pca)
    return explainer.classifier.predict_proba(reduced)[:, genre]


def randomised(classifier, seed: int):
    """The same model with every network's weights re-drawn (He-scaled normal)."""
    import copy

    from art_genre.nn import MLP

    rng = np.random.default_rng(seed)
    clone = copy.deepcopy(classifier)
    nets = clone.estimator.models if hasattr(clone.estimator, "models") else [clone.estimator]
    for net in nets:
        assert isinstance(net, MLP)
        for k in range(0, len(net.params), 2):
            fan_in = net.params[k].shape[0]
            net.params[k] = (rng.standard_normal(net.params[k].shape) * np.sqrt(2 / fan_in)).astype(
                net.params[k].dtype
            )
            net.params[k + 1] = np.zeros_like(net.params[k + 1])
    return clone


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from scipy.stats import spearmanr

    from art_genre.explain import Explainer
    from art_genre.features.images import to_model_input

    start = time.perf_counter()
    art = load_artefacts(args.data_dir, args.env, args.model)
    explainer = Explainer(art["backbone_settings"], art["feature_scaler"], art["pca"], art["model"])
    index = art["painting_index"]
    test_ids = index.loc[index["split"] == "test", "image_id"].tolist()
    rng = np.random.default_rng(args.seed)
    if len(test_ids) > args.n:
        test_ids = sorted(rng.choice(test_ids, args.n, replace=False).tolist())
    settings = explainer.settings
    side = settings.input_size
    images = [art["painting_images"][i]() for i in test_ids]
    explanation = explainer.explain(images, top_k=1)
    maps = explanation.maps[:, 0]
    grid = maps.shape[1:]
    n_cells = grid[0] * grid[1]
    counts = sorted({round(n_cells * s / args.steps) for s in range(args.steps + 1)})
    fractions = np.array(counts) / n_cells
    curves = {"map": [], "random": []}
    for n, (image, genre) in enumerate(zip(images, explanation.genre_indices[:, 0], strict=True)):
        pixels = to_model_input(image, settings.image_size, settings.resample)
        by_map = np.argsort(-maps[n].ravel(), kind="stable")
        orders = {"map": by_map, "random": rng.permutation(n_cells)}
        for name, order in orders.items():
            masks = blank_order_masks(order, counts, grid, side)
            curves[name].append(
                probability_curve(explainer, pixels, masks, int(genre), args.fill)
            )
    mean = {k: np.mean(v, axis=0) for k, v in curves.items()}
    auc = {k: float(np.trapezoid(m, fractions)) for k, m in mean.items()}
    early = fractions <= 0.25 + 1e-9
    early_auc = {k: float(np.trapezoid(m[early], fractions[early])) for k, m in mean.items()}
    per_image = {k: np.trapezoid(np.array(v), fractions, axis=1) for k, v in curves.items()}
    wins = float(np.mean(per_image["map"] < per_image["random"]))

    other = randomised(art["model"], args.seed)
    random_head = Explainer(art["backbone_settings"], art["feature_scaler"], art["pca"], other)
    random_head._model = explainer.model  # the same backbone: only the head differs
    rand_maps = random_head.explain(images, genre_indices=explanation.genre_indices).maps[:, 0]
    rhos = [
        spearmanr(a.ravel(), b.ravel()).statistic
        for a, b in zip(maps, rand_maps, strict=True)
        if a.any() and b.any() and np.ptp(a) > 0 and np.ptp(b) > 0
    ]

    print(f"data: {args.data_dir} ({args.env}), model {args.model}, backbone "
          f"{settings.name} alpha {settings.alpha} {settings.pooling}, grid {grid[0]}x{grid[1]}")
    print(f"test paintings: {len(images)}; genre explained: each one's top-1; "
          f"blanking steps: {len(counts)} (fill: {args.fill})")
    print("fraction blanked: " + " ".join(f"{f:.2f}" for f in fractions))
    for name in ("map", "random"):
        print(f"mean p(genre), {name:>6} order: " + " ".join(f"{p:.3f}" for p in mean[name]))
    print(f"AUC map order    {auc['map']:.4f}")
    print(f"AUC random order {auc['random']:.4f}")
    print(f"ratio map/random {auc['map'] / auc['random']:.3f}  (< 1: the map finds the evidence)")
    print(f"first quarter blanked (fraction <= 0.25): AUC map {early_auc['map']:.4f}, "
          f"random {early_auc['random']:.4f}, ratio {early_auc['map'] / early_auc['random']:.3f}")
    print(f"paintings whose own AUC is lower with the map: {wins:.1%}")
    print(f"sanity (randomised head): median Spearman rho {np.median(rhos):.3f} "
          f"(mean {np.mean(rhos):.3f}, {len(rhos)} paintings)")
    print(f"time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
