"""``vae-explorer report``: one self-contained HTML file, checked as text and in a real browser."""

from __future__ import annotations

import base64
import os
import re

import numpy as np
import pytest

from tests.chromium import Chromium, find_chromium
from tests.test_cli import run as run_cli

SECTIONS = ("model", "health", "map", "rec", "samples", "grid", "interpolation", "worst")


@pytest.fixture(scope="session")
def report_models(tmp_path_factory, small_npz):
    """Two models trained by ``train`` on the small .npz: latent 16 (a t-SNE map, per-class
    samples) and latent 2 (its own plane, the manifold grid)."""
    folder, paths = tmp_path_factory.mktemp("report"), {}
    for name, args in {"wide": ["--preset", "default"], "plane": ["--preset", "dense", "--latent-dim", "2"]}.items():
        paths[name] = folder / f"{name}.h5"
        code, _, err = run_cli(["train", "--data", str(small_npz), *args, "--epochs", "2", "--out", str(paths[name])])
        assert code == 0, err
    return paths


@pytest.fixture(scope="session")
def wide_report(report_models, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    code, _, err = run_cli(["report", str(report_models["wide"]), "--out", str(out)])
    assert code == 0, err
    return out, err


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def test_the_report_is_one_self_contained_file(wide_report):
    out, err = wide_report
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and not re.search(r'(src|href)="(https?:|//|file:)', html)
    assert all(f'<section id="{s}">' in html for s in SECTIONS)
    sources = image_sources(html)
    assert len(sources) == 5 and all(src.startswith("data:image/png;base64,") for src in sources)
    for src in sources:
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert html.count("<svg") == 3  # loss curves, latent health, the map
    assert [f for f in os.listdir(out.parent) if f.startswith(".tmp")] == []  # written atomically
    assert "report [########################] 8/8 done" in err and f"wrote {out}" in err


def test_the_report_holds_the_model_s_figures(wide_report, report_models):
    from vae_explorer.trainer.files.modelfile import load_model

    html = wide_report[0].read_text(encoding="utf-8")
    loaded = load_model(report_models["wide"])
    assert loaded.dataset["held_out_sha256"] + " (verified)" in html
    assert f"{loaded.history[-1]['val_neg_elbo']:.2f}" in html
    assert "dimensions active (variance of the mean &gt; 0.01)" in html
    assert re.search(r"t-SNE map; legibility \(5-NN label accuracy in the plane\) \d+\.\d%", html)
    assert "Per-class samples" in html and "Manifold grid" not in html


def test_a_latent_2_model_s_report_shows_its_plane_and_the_manifold_grid(report_models, tmp_path):
    out = tmp_path / "plane.html"
    assert run_cli(["report", str(report_models["plane"]), "--out", str(out)])[0] == 0
    html = out.read_text(encoding="utf-8")
    assert "latent-plane map" in html and "15×15 decodes over [-4, 4]² of the latent plane" in html


def test_the_report_renders_in_headless_chromium_with_every_image_loaded(wide_report, tmp_path):
    """Debian's headless Chromium (``.ci/run`` installs it) loads the page from disk: every
    image decodes, the console has no error, and nothing but the page and its inline data is asked for."""
    assert find_chromium(), "headless Chromium is missing: apt-get install chromium-headless-shell"
    with Chromium() as browser:
        page = browser.check(str(wide_report[0]), screenshot=str(tmp_path / "report.png"))
    assert len(page.images) == 5
    assert all(complete and width > 0 and height > 0 for _, complete, width, height in page.images), page.images
    assert page.errors == []
    assert [r for r in page.requests if not r.startswith("data:image/png")] == [f"file://{wide_report[0]}"]
    assert page.text_length > 500
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args, message",
    [(["--out", "{tmp}/r.txt"], "name it .html"), (["--out", "{tmp}/missing/r.html"], "folder does not exist")],
)
def test_bad_requests_are_one_line(report_models, tmp_path, args, message):
    argv = ["report", str(report_models["plane"]), *(a.format(tmp=tmp_path) for a in args)]
    code, out, err = run_cli(argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


def test_a_missing_model_is_one_line(tmp_path):
    code, _, err = run_cli(["report", str(tmp_path / "none.h5"), "--out", str(tmp_path / "r.html")])
    assert code == 2 and "none.h5" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_charts_use_round_ticks_and_keep_their_legend_off_the_data():
    from vae_explorer.trainer.report.svg import Series, line_chart, nice_ticks

    assert nice_ticks(0.44, 15.6) == [5.0, 10.0, 15.0]
    assert nice_ticks(-5.0, 252.0) == [0.0, 100.0, 200.0]
    svg = line_chart([Series("a", [1, 2], [3, 4], "#000")], "cap", "x", "y")
    plot_bottom = float(re.search(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg).group(1))
    legend_y = float(re.search(r'<line x1="[\d.]+" y1="([\d.]+)"', svg).group(1))
    assert legend_y > plot_bottom + 24  # under the axis labels, not over the curves
    assert np.isfinite(plot_bottom)
