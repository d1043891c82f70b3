"""t-SNE layouts of the map, computed off the GUI thread while the user keeps clicking.

A layout of 2,000 codes takes a few seconds, longer while a training shares the two cores. It
runs in a supervised child process (``trainer.maps.layout_process``) that a timer on the GUI
thread polls every 50 ms: no thread of ours waits for it, the GUI thread never holds the GIL for
t-SNE, closing the window ends the process at once, and a child that dies is noticed at the next
poll (``failed``) while the map stays usable on PCA. Requests that come in meanwhile are not
queued: only the newest waits (an epoch that ended in the meantime is already out of date). Each
layout starts from the previous one of the same model (warm start), so points drift. Beside a
training, a large map's first layout is a sample's with the other points placed among it (seconds
instead of most of a core for several epochs); the epochs refine it, and the training's end lays
the map out in full (rotated onto the last, as each epoch's is).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from vae_explorer.explorer.map.figures_service import figures_of

if TYPE_CHECKING:
    from vae_explorer.trainer.maps.layout_process import LayoutProcess
    from vae_explorer.trainer.maps.tsne import TSNELayout, TSNEResult
    from vae_explorer.trainer.model.space import LatentCodes

TSNE_THREADS = 1  # the training (when one runs) has the other core
POLL_MS = 50
SAMPLED_FROM = 20_000  # beside a training, a first layout of this many points or more is sampled


class LayoutService(QObject):
    """``ready(codes, layout)`` when the layout of ``codes`` is done; ``failed(text)`` when not."""

    ready = Signal(object, object)
    failed = Signal(str)

    def __init__(self, parent: QObject, run_in_background: Callable[..., None] | None = None):
        """``run_in_background(fn, on_done)`` builds finished layouts off the GUI thread (the
        window's jobs); without it they are built here (tests, scripts)."""
        super().__init__(parent)
        self._run = run_in_background or (lambda fn, on_done: on_done(fn()))
        self._generation, self._building, self._refresh = 0, 0, False
        self.latest: TSNELayout | None = None  # the newest finished layout, the start of the next one
        self._process: LayoutProcess | None = None  # started with the first layout
        # (codes, previous, the sample size a warm update descends from, or 0) being laid out
        self._computing: tuple[LatentCodes, TSNELayout | None, int] | None = None
        self._waiting: LatentCodes | None = None  # the newest codes asked for meanwhile
        self._closed = False  # after ``close`` nothing starts
        self.training: Callable[[], bool] = lambda: False  # whether a training runs (the window says)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def computing(self) -> bool:
        return self._computing is not None or self._building > 0

    @property
    def child_pid(self) -> int | None:
        """The layout process's pid while it runs (for tests that kill it, as an OOM kill would)."""
        return None if self._process is None else self._process.pid

    def request(self, codes, again: bool = False) -> None:
        """Lay out ``codes`` (now, or after the layout being computed); ``again``: even if they
        are the ones being laid out (a refresh asked for after it started)."""
        if self._closed:
            return
        if self._computing is not None or self._building:  # the next starts from the one being built
            if again or self._computing is None or codes is not self._computing[0]:
                self._waiting = codes
            return
        self._start(codes)

    def prepare(self) -> None:
        """A model that will want layouts arrived: start the child now, not at the first layout."""
        if not self._closed:
            self._child().prepare()

    def _child(self) -> LayoutProcess:
        """The layout process, made at the first use."""
        from vae_explorer.trainer.maps.layout_process import LayoutProcess

        self._process = self._process or LayoutProcess(TSNE_THREADS)
        return self._process

    def refresh_next(self) -> None:
        """The next layout finds its neighbours again (a training ended: its last map is exact)."""
        self._refresh = True

    def forget(self) -> None:
        """A different model: no warm start from the old one; the layout being computed is dropped."""
        self._generation += 1
        self.latest, self._waiting, self._computing = None, None, None
        self._timer.stop()
        if self._process is not None:
            self._process.cancel()

    def close(self) -> None:
        """The window closes: end the child process, start nothing more."""
        self._closed = True
        self.forget()
        if self._process is not None:
            self._process.close()

    def _start(self, codes) -> None:
        from vae_explorer.trainer.maps.layout_process import KEPT

        process = self._child()
        previous = self.latest if self.latest is not None and len(self.latest.plane) == len(codes.means) else None
        in_full = previous is not None and self._refresh and previous.sampled > 0  # a sample's descendant, settled
        start = None if previous is None or in_full else previous.plane
        lists = KEPT if start is not None and not self._refresh else None  # the child's own
        labels, schedule = getattr(codes, "labels", None), self._schedule(codes, previous, in_full)
        process.submit(codes.means, start, neighbours=lists, labels=labels, schedule=schedule)
        from_sample = 0 if in_full or previous is None else previous.sampled
        self._computing, self._refresh = (codes, previous, from_sample), False
        self._timer.start()

    def _schedule(self, codes, previous: TSNELayout | None, in_full: bool) -> str:
        """A large map's first layout beside a training is sampled; a refresh searches again."""
        from vae_explorer.trainer.maps.layout_process import REFRESH, SAMPLED

        if previous is None:
            return SAMPLED if len(codes.means) >= SAMPLED_FROM and self.training() else ""
        return REFRESH if self._refresh and not in_full else ""

    def _poll(self) -> None:
        from vae_explorer.trainer.maps.layout_process import LayoutDied

        computing, process = self._computing, self._process
        if computing is None or process is None:
            return
        state = process.poll()
        if state in ("idle", "busy"):
            return
        self._timer.stop()
        (codes, previous, from_sample), self._computing = computing, None
        try:
            if state == "died":
                raise LayoutDied(f"the t-SNE process ended unexpectedly (exit code {process.died_with})")
            self._finish(codes, previous, from_sample, process.result())  # the next waits until this one is built
        except LayoutDied as died:  # not retried at once: the next request starts a new child
            self._waiting = None
            self.failed.emit(f"{died}; the map shows PCA until the next layout starts a new one")
        except Exception as error:  # noqa: BLE001 (the child's failure, shown as one line)
            self.failed.emit(f"t-SNE layout failed: {error}")
            self._next()

    def _next(self) -> None:
        """Start the newest codes asked for meanwhile (warm, from the layout just built)."""
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self.request(waiting)

    def _finish(self, codes: LatentCodes, previous: TSNELayout | None, from_sample: int, result: TSNEResult) -> None:
        """Build the layout's inverse map and figures off the GUI thread (70,000 points take a
        few hundred ms), then hand it over; a layout of a model since replaced is dropped."""
        from vae_explorer.trainer.maps.tsne import TSNELayout

        generation = self._generation

        def build() -> TSNELayout:
            layout = TSNELayout(codes.means, previous=previous, fit=lambda means, start, seed, lists: result)
            layout.figures = result.figures or figures_of(layout.plane, codes)  # a small map's, here
            layout.sampled = result.sampled or from_sample
            return layout

        self._building += 1
        self._run(build, lambda layout: self._built(generation, codes, layout))

    def _built(self, generation: int, codes, layout: TSNELayout) -> None:
        self._building -= 1
        if generation == self._generation and not self._closed:
            self.latest = layout
            self.ready.emit(codes, layout)
        self._next()
