"""``eval --map`` and ``export --what layout``: the legibility figure, checkable from the CSV."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from tests.test_cli import run
from vae_explorer.trainer.maps.legibility import knn_accuracy


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory, mnist):
    """A `dense` model with latent 6 (so the map is a t-SNE layout), trained on 2,000 real images
    long enough that its codes separate the digits well above chance."""
    folder = tmp_path_factory.mktemp("map")
    data, path = mnist.subset(2000, 64), folder / "wide.h5"
    np.savez(folder / "data.npz", x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    args = ["--preset", "dense", "--latent-dim", 6, "--epochs", 3, "--batch-size", 64, "--lr", 3e-3]
    code, _, err = run(["train", "--data", folder / "data.npz", *args, "--out", path])
    assert code == 0, err
    return path


def brute_force_knn(points, labels, k=5) -> float:
    """Leave-one-out k-NN accuracy by the full distance matrix (not a k-d tree), ties going to the
    nearest of the tied labels: an independent check of ``maps.legibility``."""
    points = np.asarray(points, np.float64)
    d = np.linalg.norm(points[:, None] - points[None], axis=2)
    np.fill_diagonal(d, np.inf)
    hits = 0
    for i, row in enumerate(np.argsort(d, axis=1, kind="stable")[:, :k]):
        votes = labels[row]
        counts = {v: (votes == v).sum() for v in votes}
        hits += next(v for v in votes if counts[v] == max(counts.values())) == labels[i]
    return hits / len(labels)


def test_eval_map_reports_each_layout_of_a_wide_model(wide_model):
    import time

    from vae_explorer.trainer.files.modelfile import load_model

    started = time.perf_counter()
    code, out, err = run(["eval", wide_model, "--map"])
    wall = time.perf_counter() - started
    assert code == 0, err
    figures = json.loads(out)["map"]
    assert set(figures) == {"pca", "tsne", "latent_knn", "recall_k", "points"}
    codes = load_model(wide_model).latent
    centred = codes.means - codes.means.mean(axis=0)
    pca_plane = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
    assert figures["pca"]["legibility"] == pytest.approx(brute_force_knn(pca_plane, codes.labels), abs=1.5 / 64)
    assert figures["latent_knn"] == pytest.approx(brute_force_knn(codes.means, codes.labels), abs=1.5 / 64)
    assert figures["latent_knn"] > 0.3  # ten classes: chance is ~0.1; a trained space is well above it
    assert figures["pca"]["inverse_mae"] == 0.0 and figures["pca"]["exact"] is True
    tsne = figures["tsne"]
    assert tsne["exact"] is False and 0 < tsne["seconds"] < wall  # the layout's own time, within the command's
    assert 0 < tsne["inverse_mae"] < tsne["random_pair_mae"]  # the inverse beats a random guess


def test_eval_map_of_a_2d_model_shows_the_latent_plane(cli_model_2d):
    code, out, err = run(["eval", cli_model_2d, "--map"])
    assert code == 0, err
    figures = json.loads(out)["map"]
    assert set(figures) == {"latent", "pca", "latent_knn", "recall_k", "points"}
    from vae_explorer.trainer.files.modelfile import load_model

    codes = load_model(cli_model_2d).latent  # the plane is the space: its k-NN is the codes' own
    assert figures["latent"]["legibility"] == pytest.approx(brute_force_knn(codes.means, codes.labels), abs=1.5 / 64)


@pytest.fixture(scope="module")
def cli_model_2d(tmp_path_factory, small_npz):
    path = tmp_path_factory.mktemp("map2d") / "m.h5"
    code, _, err = run(
        ["train", "--data", small_npz, "--preset", "tutorial", "--epochs", 1, "--batch-size", 32, "--out", path]
    )
    assert code == 0, err
    return path


def read_layout(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    plane = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    return rows, plane, np.array([int(r["label"]) for r in rows])


def test_export_layout_csv_reproduces_the_legibility_figure(wide_model, tmp_path):
    out = tmp_path / "layout.csv"
    code, _, err = run(["export", wide_model, "--what", "layout", "--out", out])
    assert code == 0, err
    rows, plane, labels = read_layout(out)
    assert len(rows) == 64 and {"index", "set", "x", "y", "label", "label_name", "layout"} <= set(rows[0])
    assert rows[0]["layout"] == "tsne"  # the default for latent dim > 2
    _, again = run(["eval", wide_model, "--map"])[:2]
    # the same seed gives the same layout, so the CSV's own k-NN is the reported figure
    assert knn_accuracy(plane, labels) == pytest.approx(json.loads(again)["map"]["tsne"]["legibility"])


def test_export_layout_pca_and_refusals(wide_model, cli_model_2d, tmp_path):
    code, _, err = run(["export", wide_model, "--what", "layout", "--layout", "pca", "--out", tmp_path / "p.csv"])
    assert code == 0, err
    assert read_layout(tmp_path / "p.csv")[0][0]["layout"] == "pca"
    code, _, err = run(["export", wide_model, "--what", "layout", "--layout", "latent", "--out", tmp_path / "l.csv"])
    assert code == 2 and "latent plane needs latent dim ≤ 2" in err and "Traceback" not in err
    code, _, err = run(["export", cli_model_2d, "--what", "layout", "--out", tmp_path / "x.png"])
    assert code == 2 and "CSV" in err


def brute_force_recall(plane, latent, k=10) -> float:
    """The label-free figure by full distance matrices: the share of each point's k nearest
    latent neighbours that are among its k nearest on the map."""

    def nearest(x):
        squares = (x**2).sum(axis=1)
        d = squares[:, None] + squares[None, :] - 2 * x @ x.T  # all pairwise squared distances
        np.fill_diagonal(d, np.inf)
        return np.argsort(d, axis=1, kind="stable")[:, :k]

    on_map, in_latent = nearest(np.asarray(plane, np.float64)), nearest(np.asarray(latent, np.float64))
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(on_map, in_latent, strict=True)]))


def test_eval_map_points_all_lays_out_every_image_with_its_label_free_figure(wide_model, tmp_path):
    """``--points all``: the 2,000 training and 64 held-out images in one layout; the CSV has a
    row per image with its set, and its legibility and neighbour recall are the reported ones."""
    from vae_explorer.trainer.files.modelfile import load_model
    from vae_explorer.trainer.model.space import LatentSpace

    code, out, err = run(["eval", wide_model, "--map", "--points", "all"])
    assert code == 0, err
    figures = json.loads(out)["map"]
    assert figures["points"] == {"which": "all", "n": 2064, "sample": None} and figures["recall_k"] == 10
    csv_path = tmp_path / "all.csv"
    code, _, err = run(
        ["export", wide_model, "--what", "layout", "--layout", "pca", "--points", "all", "--out", csv_path]
    )
    assert code == 0, err
    rows, plane, labels = read_layout(csv_path)
    assert len(rows) == 2064 and [r["set"] for r in rows].count("train") == 2000
    assert [int(r["index"]) for r in rows if r["set"] == "held-out"] == list(range(64))
    assert knn_accuracy(plane, labels) == pytest.approx(figures["pca"]["legibility"])
    data = np.load(wide_model.parent / "data.npz")
    x = np.concatenate([data["x_test"], data["x_train"]]).astype(np.float32)
    x = x / 255 if x.max() > 1 else x
    means = LatentSpace(load_model(wide_model).model).encode(x.reshape(len(x), 28, 28, 1))[0]
    assert figures["pca"]["recall"] == pytest.approx(brute_force_recall(plane, means), abs=2e-3)
    assert 0 <= figures["pca"]["recall"] < figures["tsne"]["recall"] <= 1  # t-SNE keeps neighbourhoods, PCA less


def test_points_train_needs_the_training_images(wide_model, tmp_path):
    code, _, err = run(["export", wide_model, "--what", "layout", "--points", "train", "--out", tmp_path / "t.csv"])
    assert code == 0, err
    rows = read_layout(tmp_path / "t.csv")[0]
    assert len(rows) == 2000 and {r["set"] for r in rows} == {"train"}


def test_eval_map_of_an_unlabelled_image_folder_reports_the_label_free_figure(wide_model, tmp_path, mnist):
    """No labels, so no legibility; the neighbours kept still say how faithful the map is, and
    the layout CSV names each image's file."""
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    tf = import_tensorflow()
    folder = tmp_path / "digits"
    folder.mkdir()
    for i, image in enumerate(mnist.x_test[:300]):
        png = tf.io.encode_png((image * 255).round().astype(np.uint8)).numpy()
        (folder / f"digit_{i:04d}.png").write_bytes(png)
    code, out, err = run(["eval", wide_model, "--data", folder, "--map", "--points", "all"])
    assert code == 0, err
    figures = json.loads(out)["map"]
    assert figures["points"]["n"] == 300 and figures["latent_knn"] is None
    assert figures["tsne"]["legibility"] is None and 0.2 < figures["tsne"]["recall"] <= 1
    code, _, err = run(["export", wide_model, "--what", "layout", "--data", folder, "--out", tmp_path / "f.csv"])
    assert code == 0, err
    with open(tmp_path / "f.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["file"].startswith("digit_") and r["file"].endswith(".png") for r in rows)
