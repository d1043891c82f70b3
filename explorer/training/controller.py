"""Start, continue, pause and stop a training, and turn its reports into session changes.

The training part owns its widgets (the panel, the loss plot, the held-out −ELBO label) and its
state (``TrainingState``, ``TrainSettings``); what the run changes in the model (history, codes,
the codes of every epoch, "unsaved") goes into the ``Session``, where the map and the title pick
it up.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

from vae_explorer.explorer.context import AppContext
from vae_explorer.explorer.training.loss_plot import LossPlot
from vae_explorer.explorer.training.panel import TrainPanel
from vae_explorer.explorer.training.runner import TrainingRunner
from vae_explorer.explorer.training.state import ActiveClock, TrainingState, TrainSettings
from vae_explorer.trainer.model.config import OBJECTIVE_LABELS

RESULT_TEXT = {"finished": "finished", "stopped": "stopped", "diverged": "stopped: loss diverged"}


def held_out_label(objective: str) -> str:
    """Name the held-out figure honestly: with ``mse`` it is SSE + KL, not an ELBO."""
    return "held-out " + OBJECTIVE_LABELS[objective].replace("-", "−")


def figure_text(history: list[dict], objective: str) -> str:
    """What the status bar says of a model: its epochs and its last held-out figure."""
    if not history:
        return ""
    epochs = len(history)
    last = history[-1].get("val_neg_elbo", float("nan"))
    return f"{epochs} epoch{'s' if epochs != 1 else ''} · {held_out_label(objective)} {last:.2f}"


class TrainingController(QObject):
    """The training part; ``confirm_discard(what) -> bool`` asks before a new model replaces one."""

    # The Trainer about to run, after the session shows its model and before its thread starts:
    # the runs part records the run and may put a listener (TensorBoard logs) in front of it.
    starting = Signal(object)

    def __init__(self, app: AppContext, confirm_discard):
        super().__init__(app.window)
        self.app, self.session, self.errors, self.status = app, app.session, app.errors, app.status
        self._confirm_discard = confirm_discard
        self._pending = ("Cannot start training", True)  # (error title, fresh) of the training being prepared
        self.state, self.settings = TrainingState(), TrainSettings()
        self.runner = TrainingRunner(self)
        self.clock = ActiveClock()
        self.panel = TrainPanel(self.state, self.settings)
        self.loss_plot = LossPlot()
        self.elbo_label = QLabel("")
        self.elbo_label.setToolTip("The shown model's epochs and its last held-out figure")
        self.runner.batches_done.connect(self._on_batches)
        self.runner.epoch_done.connect(self._on_epoch)
        self.runner.returned.connect(self._on_trained)
        self.runner.errored.connect(self.errors.reporter("Training failed"))
        self.runner.prepared.connect(self._on_prepared)
        self.runner.build_failed.connect(self._on_build_failed)
        self.runner.finished.connect(
            lambda: self.state.set(preparing=False, running=False, paused=False, stopping=False)
        )
        self.session.changed.connect(self._session_changed)

    # -- commands -------------------------------------------------------------------------
    def can_start(self) -> bool:
        s = self.session
        return s.tf_ready and s.dataset is not None and not self.state.busy

    def start(self) -> None:
        """A new model from the panel's settings (the current one is discarded, after asking)."""
        if self.can_start() and self._may_discard("Start a new model"):
            self._prepare(self._new_trainer(), "Cannot start training", fresh=True)

    def continue_training(self) -> None:
        """More epochs of the current model, with the panel's epochs, batch size, β and rate."""
        if self.can_start() and self.session.has_model:
            self._prepare(self._continued_trainer(), "Cannot continue training", fresh=False)

    def toggle_pause(self) -> None:
        if not self.state.running:
            return
        paused = not self.state.paused
        self.runner.set_paused(paused)
        (self.clock.pause if paused else self.clock.resume)()
        self.state.set(paused=paused)

    def stop(self) -> None:
        if not self.state.busy:
            return
        self.runner.stop()
        self.state.set(stopping=True)
        self.status("Stopping after this batch…")

    def stop_and_wait(self, msecs: int) -> None:
        """Stop, wait up to ``msecs`` for the thread, and deliver its last reports (closing)."""
        self.stop()
        self.runner.wait(msecs)
        QApplication.processEvents()

    # -- building a trainer ---------------------------------------------------------------
    def _may_discard(self, what: str) -> bool:
        return not self.session.dirty or self._confirm_discard(what)

    def _new_trainer(self):
        """How the training thread builds the new Trainer. The old model is discarded: its compiled
        graphs are reused if it has the same architecture (its weights reset), which saves the tracing."""
        from vae_explorer.trainer.training.loop import Trainer

        config, data, compiled = self.settings.config(), self.session.dataset, self.session.compiled
        return lambda: Trainer(config, data, encode_each_epoch=True, recycle=compiled)

    def _continued_trainer(self):
        from vae_explorer.trainer.training.loop import Trainer

        s, changes = self.session, self.settings.changes_for_continuing()
        config, data, model, history, compiled = (
            s.config.continued(**changes),
            s.dataset,
            s.model,
            s.history,
            s.compiled,
        )
        return lambda: Trainer(config, data, model=model, history=history, encode_each_epoch=True, recycle=compiled)

    def _prepare(self, build, title: str, fresh: bool) -> None:
        """Build and trace on the training thread, so the window stays live meanwhile. Safe because
        traces run one at a time with the cycle collector paused (``trainer.tf_runtime.tracing``;
        tests/benchmarks/tracing_threads.py stresses it). Until ``prepared`` arrives,
        ``state.preparing`` refuses a second Start."""
        self.state.set(preparing=True)
        self._pending = (title, fresh)
        self.status("Preparing the model (building and tracing it)…")
        self.runner.start(build)

    def _on_prepared(self, trainer) -> None:
        self._begin(trainer, fresh=self._pending[1])
        self.runner.go()

    def _on_build_failed(self, exc) -> None:
        self.errors.report(self._pending[0], exc)
        self.status("")

    def _begin(self, trainer, fresh: bool) -> None:
        from vae_explorer.trainer.maps.epoch_codes import EpochCodes
        from vae_explorer.trainer.model.space import LatentSpace

        s = self.session
        values = dict(
            model=trainer.model,
            config=trainer.config,
            history=list(trainer.history),
            compiled=trainer.compiled,
            dataset_info=s.dataset.describe(),
        )
        if fresh:
            s.replace_model(
                space=trainer.latent, codes=None, path=None, dirty=False, epoch_codes=EpochCodes(), **values
            )
        else:
            s.update(space=s.space or LatentSpace(trainer.model), epoch_codes=s.epoch_codes or EpochCodes(), **values)
        self.loss_plot.set_planned_epochs(len(trainer.history) + trainer.config.epochs)
        self.clock.start()
        self.starting.emit(trainer)
        self.state.set(preparing=False, running=True, paused=False, stopping=False)
        self.status(f"Training '{trainer.config.preset}' on {s.dataset.name}…")

    # -- reports --------------------------------------------------------------------------
    def _on_batches(self, reports) -> None:
        for report in reports:
            self.loss_plot.add_batch(report)
        last = reports[-1]
        self.panel.show_batch(last, self.clock.eta(last.progress))
        self.session.dirty = True  # trained, even if Stop comes before the epoch ends
        self.session.codes_behind = True

    def _on_epoch(self, report) -> None:
        from vae_explorer.trainer.model.space import LatentCodes

        s = self.session
        row = report.history_row()
        changes = dict(history=s.history + [row], dirty=True)
        if report.latent_means is not None:
            changes["codes"] = LatentCodes(report.latent_means, report.latent_log_vars, s.dataset.y_test)
            if s.epoch_codes is not None:
                s.epoch_codes.add(report.epoch, report.latent_means, s.dataset.y_test)
        self.loss_plot.add_epoch(row)
        s.update(_also=("epoch_codes",), **changes)

    def _on_trained(self, result) -> None:
        s = self.session
        s.update(history=list(result.history))
        self.panel.show_idle(RESULT_TEXT[result.status])
        if result.status == "diverged":
            self.errors.report("Training stopped", result.message)
        else:
            self.status(result.message, 8000)
        if s.codes is None and s.model is not None:
            s.encode_held_out()

    def _session_changed(self, names) -> None:
        """Another model (opened, or a fresh Start): show its settings and its history; any new
        history (an epoch, a followed file's new version): the figure in the status bar."""
        s = self.session
        if "model" in names:
            self.loss_plot.set_history(s.history)
            if s.config is not None:
                self.settings.show_config(s.config)
        if names & {"model", "history", "config"}:
            objective = s.config.objective if s.config is not None else "neg_elbo"
            self.elbo_label.setText(figure_text(s.history, objective))
