"""Python's cycle collector never runs on a worker thread (``trainer.tf_runtime.collector_paused``).

Run there, it once freed the wrappers of a closed window's Qt objects and deadlocked with the
GUI thread (a QObject destroyed on the worker waited for the GIL inside Qt's lock; the GUI
thread, holding the GIL, waited for that lock). Young generations are collected on the GUI
thread meanwhile (``collect_young``), except while a graph is traced."""

from __future__ import annotations

import gc
import threading

from vae_explorer.trainer import tf_runtime
from vae_explorer.trainer.tf_runtime import collect_young, collector_paused


class Garbage:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


def test_the_collector_stays_paused_while_any_worker_runs_and_resumes_after_the_last():
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

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False] and gc.isenabled()


def test_young_garbage_is_collected_by_the_gui_thread_while_paused_but_not_while_a_graph_is_traced():
    with collector_paused():
        gc.collect()
        _pile_up()
        with tf_runtime._trace_lock:  # what ``tracing`` holds: another thread traces now
            done = threading.Thread(target=collect_young)
            done.start()
            done.join(10)
        assert gc.get_count()[0] > gc.get_threshold()[0]  # left alone
        collect_young()
        assert gc.get_count()[0] < gc.get_threshold()[0]


def test_outside_a_pause_collect_young_leaves_the_collector_to_itself():
    gc.disable()  # so that nothing collects the pile but collect_young
    try:
        gc.collect()
        _pile_up()
        collect_young()
        assert gc.get_count()[0] > gc.get_threshold()[0]
    finally:
        gc.enable()


def _pile_up() -> None:
    for _ in range(gc.get_threshold()[0] + 100):
        Garbage()
