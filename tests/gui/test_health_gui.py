"""Latent health in the window: the KL bars, the collapse warning, the KL-ordered traversal, the
chosen-dimensions default, the runs table's column, and File ▸ Export report, through the user's path."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog

from tests.gui.helpers import open_model, open_tool, shown_image, tool
from tests.gui.test_main_window import click_map
from tests.gui.test_map_layouts_gui import tsne_ready

GREY = (176, 176, 176)


def bars(tool_) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """The heights and fill colours of the Latent health page's bars."""
    opts = tool_.page.bars.opts
    return np.asarray(opts["height"]), [b.color().getRgb()[:3] for b in opts["brushes"]]


def test_the_health_view_shows_each_dimension_s_kl_and_greys_the_inactive_ones(window, qtbot, beta_models):
    from vae_explorer.trainer.latent.health import latent_health

    assert open_model(window, str(beta_models[8.0][0]))
    open_tool(window, qtbot, "Latent health")
    codes = window.session.codes
    expected = latent_health(codes.means, codes.log_vars)
    heights, colours = bars(tool(window, "health"))
    np.testing.assert_allclose(heights, expected.kl_per_dim, rtol=1e-6)
    assert [c == GREY for c in colours] == [not a for a in expected.active]
    assert 0 < expected.active_units < 8
    assert f"{expected.active_units} of 8 dimensions active" in tool(window, "health").page.summary.text()


def test_a_collapse_while_training_is_said_in_the_status_bar(window, qtbot):
    """β 30 switches most dimensions off within two epochs: the status bar says how many, since when."""
    panel = window.training.panel
    panel.set_preset("dense")
    panel.latent_dim.setValue(8)
    panel.epochs.setValue(2)
    panel.batch_size.setValue(32)
    panel.beta.setValue(30.0)
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=120_000)
    warnings = [t for t in said if "dimensions inactive since epoch" in t]
    assert warnings and warnings[0].endswith("try a lower β or KL warm-up")
    inactive = 8 - window.session.history[-1]["active_units"]
    assert f"{inactive} of 8 dimensions inactive since epoch" in tool(window, "health").page.warning.text()


def test_the_traversal_orders_dimensions_by_kl_and_can_hide_the_inactive_ones(window, qtbot, beta_models):
    assert open_model(window, str(beta_models[8.0][0]))
    health = window.session.health()
    qtbot.waitUntil(lambda: tsne_ready(window), timeout=60_000)
    qtbot.wait(50)
    click_map(window, qtbot, *(float(v) for v in window.map.state.plane[0]))  # a data point
    assert window.map.state.current is not None, "the click did not reach the map"
    page = open_tool(window, qtbot, "Traverse")
    by_kl = [int(d) for d in health.by_kl()]
    assert page.about.text() == "Rows, top to bottom: " + ", ".join(f"z{d}" for d in by_kl)
    steps, side = tool(window, "traverse").settings.steps, window.session.model.image_shape[0]
    assert shown_image(page.sheet).shape[0] == 8 * side + 9  # a row per dimension, 1 px around each
    box = page.hide_inactive
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on its indicator
    assert tool(window, "traverse").settings.hide_inactive
    shown = [d for d in by_kl if health.active[d]]
    assert page.about.text() == "Rows, top to bottom: " + ", ".join(f"z{d}" for d in shown)
    frames = tool(window, "traverse").frames()
    assert len(frames) == len(shown) * steps
    z, span = window.map.state.current, tool(window, "traverse").settings.span
    for r, d in enumerate(shown):  # row r varies dimension shown[r] over ±span, the others kept
        codes = np.repeat(z[None, :], steps, axis=0)
        codes[:, d] = z[d] + np.linspace(-span, span, steps)
        np.testing.assert_allclose(frames[r * steps : (r + 1) * steps], window.session.space.decode(codes), atol=1e-5)


def test_the_chosen_dimensions_map_starts_on_the_two_most_active(window, qtbot, beta_models):
    assert open_model(window, str(beta_models[8.0][0]))
    a, b = window.session.health().most_active(2)
    box = window.map.axes.layout_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Down)  # t-SNE → PCA → two dimensions
    assert window.map.state.layout == "dims" and window.map.state.dims == (a, b)
    assert window.map.map.getAxis("bottom").labelText == f"z[{a}]"
    assert window.map.map.getAxis("left").labelText == f"z[{b}]"


def test_the_runs_table_has_an_active_column(window, qtbot):
    from tests.gui.test_main_window import train

    train(window, qtbot, epochs=1, preset="dense")
    window.actions["runs"].trigger()
    table = window.runs.panel.table
    header = [table.model().headerData(c, Qt.Orientation.Horizontal) for c in range(table.model().columnCount())]
    column = header.index("active")
    assert table.model().index(0, column).data() == f"{window.session.history[-1]['active_units']}/10"


def test_file_export_report_writes_the_map_the_window_shows(window, qtbot, beta_models, tmp_path, monkeypatch, dialogs):
    path, npz = beta_models[1.0]
    assert open_model(window, str(path))
    window.datasets.load(str(npz))  # the model's own data: the report shows its held-out images
    qtbot.waitUntil(lambda: window.session.held_out_images() is not None, timeout=30_000)
    box = window.map.axes.layout_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)  # the PCA map
    out = tmp_path / "shared.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: out.exists() or bool(dialogs.warnings), timeout=60_000)
    assert dialogs.warnings == []
    qtbot.waitUntil(lambda: not window.busy(), timeout=30_000)
    html = out.read_text(encoding="utf-8")
    assert "The held-out images on the PCA map" in html and html.count('<img src="data:image/png;base64,') == 5
    assert window.statusBar().currentMessage().startswith(f"Wrote {out}")


def test_closing_the_window_while_a_report_builds_cancels_it_and_writes_nothing(
    window, qtbot, beta_models, tmp_path, monkeypatch
):
    path, npz = beta_models[1.0]
    assert open_model(window, str(path))
    window.datasets.load(str(npz))
    qtbot.waitUntil(lambda: window.session.held_out_images() is not None, timeout=30_000)
    out = tmp_path / "never.html"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    window.actions["export_report"].trigger()
    assert window.busy()
    window.close()
    qtbot.waitUntil(lambda: not window.busy(), timeout=30_000)
    assert not window.isVisible() and not out.exists()
    assert [f for f in tmp_path.iterdir() if f.name.startswith(".tmp")] == []
