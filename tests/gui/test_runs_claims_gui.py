"""The README's claims about the app's runs, through the user's path: the Runs table sorts by the
column whose header is clicked (numbers as numbers), a training that raises is recorded as
failed, a record that cannot be written is said once while the training goes on, and *Evaluate
likelihood…* says how long it will take before it runs (and asks past an hour)."""

from __future__ import annotations

import os
import re

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from tests.gui.helpers import open_model
from vae_explorer.trainer.errors import UserError
from vae_explorer.trainer.files.runs import RunRecord, read_record, write_record

Answer = QMessageBox.StandardButton
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_runs_panel(window, qtbot) -> None:
    """View ▸ Runs panel (Ctrl+Shift+U), as a user opens it."""
    qtbot.keyClick(window, Qt.Key.Key_U, CTRL_SHIFT)
    assert window.runs_dock.isVisible()


def one_epoch_run(window, qtbot, epochs: int = 1) -> None:
    panel = window.training.panel
    panel.set_preset("tutorial")
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(32)
    qtbot.mouseClick(panel.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.runner.running, timeout=60_000)


def record(folder, name: str, latent: int, elbo: float, started: str) -> str:
    return write_record(
        RunRecord(
            started=started,
            status="finished",
            model_path="",
            config={"preset": "dense", "latent_dim": latent, "beta": 1.0},
            dataset={"name": "small"},
            history=[{"epoch": 1, "loss": elbo, "val_loss": elbo, "val_neg_elbo": elbo}],
            final={"val_neg_elbo": elbo},
            wall_time=3.0,
        ),
        os.path.join(folder, name),
    )


def column(panel, title: str) -> list[str]:
    from vae_explorer.explorer.runs.table import HEADERS

    c = HEADERS.index(title)
    return [panel.proxy.index(r, c).data() for r in range(panel.proxy.rowCount())]


def click_header(qtbot, table, title: str) -> None:
    from vae_explorer.explorer.runs.table import HEADERS

    header, c = table.horizontalHeader(), HEADERS.index(title)
    x = header.sectionViewportPosition(c) + header.sectionSize(c) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def monotone(values: list[float]) -> bool:
    return values == sorted(values) or values == sorted(values, reverse=True)


def test_the_runs_table_sorts_by_the_clicked_column_numbers_as_numbers(window, qtbot):
    """As text, 10 < 16 < 2 and 1000.5 < 185.0 < 95.0: sorted as numbers they are not."""
    open_runs_panel(window, qtbot)
    folder = window.runs.state.folder
    os.makedirs(folder)
    for i, (latent, elbo) in enumerate(((10, 185.0), (2, 1000.5), (16, 95.0))):
        record(folder, f"run-{i}.run.json", latent, elbo, f"2026-01-0{i + 1}T10:00:00+00:00")
    window.runs.reload()
    panel, table = window.runs.panel, window.runs.panel.table
    assert panel.proxy.rowCount() == 3
    for title, as_number in (("latent", int), ("held-out −ELBO", float)):
        click_header(qtbot, table, title)
        first = [as_number(v) for v in column(panel, title)]
        assert monotone(first) and first != sorted(first, key=str), (title, first)
        click_header(qtbot, table, title)  # a second click: the other way
        assert [as_number(v) for v in column(panel, title)] == first[::-1]


class FailsInEpoch2:
    """A listener that raises inside the second epoch, as a bug or a failing disk would."""

    def on_batch(self, report) -> None:
        if report.epoch == 2 and report.batch == 2:
            raise RuntimeError("the disk went away")

    def on_epoch(self, report) -> None:
        pass


def test_a_training_that_raises_is_recorded_as_failed(window, qtbot, dialogs):
    open_runs_panel(window, qtbot)
    window.training.starting.connect(lambda trainer: setattr(trainer, "listener", FailsInEpoch2()))
    one_epoch_run(window, qtbot, epochs=3)
    (run,) = window.runs.state.records
    assert run.status == "failed" and run.message == "unexpected error: RuntimeError: the disk went away"
    assert [row["epoch"] for row in run.history] == [1]  # the epoch it finished
    assert read_record(run.path).status == "failed"  # on disk too
    assert dialogs.warnings == [("Training failed", "unexpected error: RuntimeError: the disk went away")]
    from vae_explorer.explorer.runs.table import HEADERS

    row = window.runs.panel.view_row_of(run.path)
    assert window.runs.panel.proxy.index(row, HEADERS.index("status")).data() == "failed"


@pytest.mark.parametrize("where", ["the folder is a file", "the last write fails"])
def test_a_run_record_that_cannot_be_written_is_said_once_and_the_training_goes_on(
    window, qtbot, dialogs, monkeypatch, where
):
    folder = window.runs.state.folder
    if where == "the folder is a file":
        with open(folder, "w") as f:  # where the runs folder should be: it cannot be created
            f.write("not a folder")
    else:
        from vae_explorer.explorer.runs import recorder

        def disk_full(record, *args):
            raise UserError("cannot write here (No space left on device)", record.path)

        monkeypatch.setattr(recorder, "finish_run", disk_full)
    one_epoch_run(window, qtbot)
    assert len(window.session.history) == 1 and window.session.model is not None  # trained all the same
    assert window.training.panel.progress.format() == "finished"
    assert len(dialogs.warnings) == 1
    title, text = dialogs.warnings[0]
    assert title == "The run is not recorded" and folder in text and "\n" not in text


def test_evaluate_says_how_long_it_will_take_before_it_runs_and_asks_past_an_hour(
    window, qtbot, dialogs, gui_model_file, monkeypatch
):
    from vae_explorer.trainer.latent import likelihood

    assert open_model(window, str(gui_model_file[0]))
    window.actions["evaluate"].trigger()
    dialog = window.runs.evaluate_dialog
    qtbot.waitExposed(dialog)
    dialog.k.selectAll()
    qtbot.keyClicks(dialog.k, "200")
    dialog.k.interpretText()
    said_at_first_progress: list[str] = []
    dialog.progress.valueChanged.connect(
        lambda v: said_at_first_progress.append(dialog.result.text()) if v > 0 and not said_at_first_progress else None
    )
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert said_at_first_progress and re.fullmatch(r"Computing… \(about \d+ (s|min)\)", said_at_first_progress[0])
    assert "K = 200" in dialog.result.text()

    monkeypatch.setattr(likelihood.ImportanceWeighted, "estimate_seconds", lambda self, x, k, seed=0: 7200.0)
    asked = len(dialogs.questions)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)  # two hours: asked first, the answer is no
    assert dialogs.questions[asked:] == [("A long evaluation", "K = 200 on 64 images will take about 2.0 h. Start it?")]
    assert not dialog.running and dialog.result.text().startswith("Not started: it would take about 2.0 h")

    dialogs.answer = Answer.Yes
    dialog.k.setValue(500_000)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)  # yes: it runs, and says how long
    assert dialog.running and dialog.result.text() == "Computing… (about 2.0 h)"
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60_000)
    cancel = dialog.buttons.button(dialog.buttons.StandardButton.Close)
    assert cancel.text() == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)  # Cancel stops it
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.progress.value() < dialog.progress.maximum() and dialog.result.text().startswith("Cancelled")
