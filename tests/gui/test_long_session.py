"""A long session: start and stop training 30 times in one real window.

Each cycle starts a new model, trains it on a worker thread, and stops it after one to three
batch reports. Over the session no thread may be left running, no QTimer/QThread may pile up
on the window, and resident memory must stay flat: the graphs traced for discarded models must
be freed (TensorFlow kept every traced training step alive through its global gradient
registry, ~10 MB each, until ``trainer.tf_runtime.compile_now`` undid that). A Start with the
architecture of the discarded model reuses its traced graphs; the seed changes twice so that
some Starts trace afresh too. Run with ``pytest -s`` to see the figures.
"""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
from benchmarks.memory import rss_mb
from PySide6.QtCore import QThread, QTimer

CYCLES = 30
MEASURE_FROM = 5  # RSS after this cycle is the baseline (warm-up done by then)
MAX_GROWTH_MB = 100
NEW_SEED_AT = (11, 21)  # a different seed: a different model, traced afresh


def qt_children(window) -> tuple[int, int]:
    return len(window.findChildren(QTimer)), len(window.findChildren(QThread))


def test_start_stop_30_times_in_one_session(window, qtbot, long_training):
    panel = window.training.panel
    batches = long_training
    timers0, threads0 = qt_children(window)
    rss: dict[int, float] = {0: rss_mb()}
    seconds: list[float] = []
    graphs: dict[int, weakref.ref] = {}  # id → the traced training step of each compiled model
    for cycle in range(1, CYCLES + 1):
        if cycle in NEW_SEED_AT:
            panel.seed.setValue(panel.seed.value() + 1)
        t0 = time.perf_counter()
        batches.clear()
        wanted = 1 + (cycle - 1) % 3
        panel.start.click()
        assert window.training.runner.running, f"cycle {cycle}: training did not start"
        qtbot.waitUntil(lambda wanted=wanted: len(batches) >= wanted, timeout=30_000)
        window.training.stop()
        qtbot.waitUntil(lambda: not window.training.runner.running, timeout=10_000)
        qtbot.waitUntil(lambda: not window.busy(), timeout=10_000)
        assert not any(t.isRunning() for t in window.findChildren(QThread)), f"cycle {cycle}"
        s = window.session
        assert s.model is not None and s.codes is not None, f"cycle {cycle}: no model after Stop"
        assert s.history == [], f"cycle {cycle}: an epoch ended before Stop took effect"
        graph = s.compiled.train_step.graph
        graphs.setdefault(id(graph), weakref.ref(graph))
        del graph, s
        seconds.append(time.perf_counter() - t0)
        rss[cycle] = rss_mb()
        if cycle % 5 == 0 or cycle == 1:
            print(f"cycle {cycle:2d}: RSS {rss[cycle]:7.1f} MB, {seconds[-1]:.2f} s")
    # A finished QThread is deleted (deleteLater) on a later turn of the event loop.
    qtbot.waitUntil(lambda: qt_children(window)[1] <= threads0, timeout=5_000)
    timers1, threads1 = qt_children(window)
    growth = rss[CYCLES] - rss[MEASURE_FROM]
    gc.collect()
    alive = sum(ref() is not None for ref in graphs.values())
    print(
        f"RSS before the first start {rss[0]:.1f} MB; cycle {MEASURE_FROM} {rss[MEASURE_FROM]:.1f} MB; "
        f"cycle {CYCLES} {rss[CYCLES]:.1f} MB; growth {growth:+.1f} MB "
        f"({growth / (CYCLES - MEASURE_FROM):+.2f} MB/cycle)"
    )
    print(
        f"seconds per cycle: mean {np.mean(seconds):.2f}, median {np.median(seconds):.2f}, "
        f"max {max(seconds):.2f}; training steps traced {len(graphs)}, still alive {alive}; "
        f"QTimers {timers0} -> {timers1}, QThreads {threads0} -> {threads1}"
    )
    assert timers1 <= timers0, f"QTimer children grew from {timers0} to {timers1}"
    assert threads1 <= threads0, f"QThread children grew from {threads0} to {threads1}"
    assert len(graphs) == 1 + len(NEW_SEED_AT)  # same architecture: the graphs were reused
    assert alive == 1, f"{alive - 1} traced graph(s) of discarded models are still in memory"
    assert growth < MAX_GROWTH_MB, f"RSS grew by {growth:.1f} MB from cycle {MEASURE_FROM} to {CYCLES}"


def test_recycled_start_is_the_same_as_a_new_model(mnist_small):
    """What makes the reuse above correct: the recycled model restarts exactly as a new one."""
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.loop import Trainer

    config = TrainConfig(preset="tutorial", epochs=1, batch_size=32, seed=7)
    fresh = Trainer(config, mnist_small)
    before = [v.numpy() for v in fresh.model.variables]
    first = fresh.run()
    again = Trainer(config, mnist_small, recycle=fresh.compiled)
    assert again.model is fresh.model and again.compiled is fresh.compiled
    for var, value in zip(again.model.variables, before, strict=True):
        np.testing.assert_array_equal(var.numpy(), value)
    assert int(again.model.optimizer.iterations.numpy()) == 0
    second = again.run()
    keys = ("loss", "reconstruction_loss", "kl_loss", "val_loss", "val_neg_elbo")
    assert [[h[k] for k in keys] for h in second.history] == [[h[k] for k in keys] for h in first.history]
    other = Trainer(TrainConfig(preset="dense", epochs=1, batch_size=32, seed=7), mnist_small, recycle=again.compiled)
    assert other.compiled is not again.compiled and other.model is not fresh.model
