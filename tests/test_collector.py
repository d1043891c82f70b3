"""Python's cycle collector never runs on a worker thread while a window is open (``trainer.collector``).

Run there, it freed the wrappers of a closed window's Qt objects and deadlocked with the GUI
thread (a QObject destroyed on the worker waited for the GIL inside Qt's lock; the GUI thread,
holding the GIL, waited for that lock). While a window holds the collector only the GUI thread
collects (``collect_due``), and never while a graph is traced; without a window, workers and
traces only pause it."""

from __future__ import annotations

import gc
import threading

from vae_explorer.trainer import collector
from vae_explorer.trainer.collector import collect_due, collector_paused


class Garbage:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


def test_without_a_window_the_collector_stays_paused_while_any_worker_runs_and_resumes_after_the_last():
    assert gc.isenabled()
    first_in, second_in, first_out, seen = threading.Event(), threading.Event(), threading.Event(), []

    def first():
        with collector_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with collector_paused():
            second_in.set()
            first_out.wait(10)
            seen.append(gc.isenabled())  # the first has left: still paused for this one

    _run_threads(first, second)
    assert seen == [False] and gc.isenabled()


def test_while_a_window_holds_the_collector_no_worker_turns_it_back_on_and_only_collect_due_collects():
    collecting_threads: list[str] = []

    def seen(phase, info):
        if phase == "start":
            collecting_threads.append(threading.current_thread().name)

    def worker():
        with collector_paused():
            _pile_up()
        _pile_up()  # after its pause, as a worker's last signals are sent: still no collection here

    gc.callbacks.append(seen)
    collector.hold()
    try:
        _run_threads(worker, _pile_up)  # a pausing worker and a foreign one (tf.data's threads)
        assert not gc.isenabled() and collecting_threads == []
        collect_due()
        assert collecting_threads == [threading.current_thread().name]
        assert gc.get_count()[0] < gc.get_threshold()[0]
    finally:
        collector.release()
        gc.callbacks.remove(seen)
    assert gc.isenabled()


def test_collect_due_leaves_the_young_garbage_alone_while_a_graph_is_traced_and_without_a_window():
    gc.disable()  # so that nothing collects the pile but collect_due
    try:
        gc.collect()
        _pile_up()
        collect_due()  # no window holds the collector: not its business
        assert gc.get_count()[0] > gc.get_threshold()[0]
        collector.hold()
        try:
            with collector.trace_lock:  # what ``tracing`` holds: another thread traces now
                _run_threads(collect_due)
            assert gc.get_count()[0] > gc.get_threshold()[0]
            collect_due()
            assert gc.get_count()[0] < gc.get_threshold()[0]
        finally:
            collector.release()  # a failure here must not leave the rest of the suite uncollected
        assert not gc.isenabled()  # it was off before the window: it stays so
    finally:
        gc.enable()


def test_a_full_collection_is_due_as_the_automatic_collector_would_have_run_one():
    assert collector._due_generation(middle_due=False, old_due=True) == 0
    assert collector._due_generation(middle_due=True, old_due=False) == 1
    assert collector._due_generation(middle_due=True, old_due=True) == 2


def _run_threads(*targets) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)


def _pile_up() -> None:
    for _ in range(gc.get_threshold()[0] + 100):
        Garbage()
