"""The t-SNE child process seen from the parent: a request abandoned while it is still being
written (a new model opened, the window closed) ends quietly, without a thread's traceback."""

from __future__ import annotations

import threading
import time

import numpy as np

from vae_explorer.trainer.maps.layout_process import LayoutProcess


def test_closing_while_a_large_request_is_being_sent_raises_nothing_on_the_sender_thread(monkeypatch):
    raised: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    process = LayoutProcess(1)
    means = np.random.default_rng(0).normal(size=(70_000, 16))  # 9 MB: far more than a pipe holds
    process.submit(means, None)
    time.sleep(0.05)  # the sender is blocked: the new child is still importing openTSNE
    process.close()
    for sender in [t for t in threading.enumerate() if t.name == "tsne-request"]:
        sender.join(10)
        assert not sender.is_alive()
    assert raised == []


class _ClosedByParent:
    """A child's end of the pipe whose parent closes it while the layout is computed."""

    def __init__(self):
        self.requests = [(np.zeros((3, 2)), None, 0, None, None, "")]

    def recv(self):
        if not self.requests:
            raise EOFError
        return self.requests.pop()

    def send(self, answer):
        raise BrokenPipeError(32, "Broken pipe")


def test_the_child_ends_quietly_when_its_parent_closed_the_pipe_during_a_layout(monkeypatch):
    from vae_explorer.trainer.maps import layout_process

    monkeypatch.setattr(layout_process, "tsne_plane", lambda *a, **k: "a plane")
    layout_process.serve(_ClosedByParent(), 1)  # returns: no traceback printed by the child


def test_cancelling_a_layout_does_not_wait_for_its_child_and_closing_leaves_none_running():
    """The map cancels a layout whenever a model or dataset changes, on the GUI thread: waiting
    there for the child to end froze the window 30-80 ms."""
    process = LayoutProcess(1)
    means = np.random.default_rng(0).normal(size=(2_000, 16))
    children = []
    for _ in range(2):  # cancelled, then a new child for the next layout
        process.submit(means, None)
        children.append(process._process)
        joined: list[float] = []
        children[-1].join = lambda timeout=None, joined=joined: joined.append(timeout)
        process.cancel()
        assert joined == [] and not process.busy
        del children[-1].join  # the real join again, for close()
    process.close()
    assert not any(child.is_alive() for child in children)


def test_a_large_map_s_figures_come_with_its_layout_from_the_child(monkeypatch):
    """Legibility and neighbour recall are computed where the layout was, from its own lists."""
    from vae_explorer.trainer.maps import layout_process
    from vae_explorer.trainer.maps.figures import plane_figures
    from vae_explorer.trainer.maps.tsne import TSNEResult

    rng = np.random.default_rng(1)
    plane, lists, labels = rng.normal(size=(500, 2)), rng.integers(0, 500, (500, 45)), rng.integers(0, 3, 500)
    monkeypatch.setattr(layout_process, "tsne_plane", lambda *a, **k: TSNEResult(plane, lists))
    result = layout_process.laid_out(rng.normal(size=(500, 16)), None, 0, 1, None, labels)
    assert result.figures == plane_figures(plane, labels, lists) and result.figures["recall"] is not None
    monkeypatch.setattr(layout_process, "tsne_plane", lambda *a, **k: TSNEResult(plane, None))
    assert layout_process.laid_out(rng.normal(size=(500, 16)), None, 0, 1, None, labels).figures is None


class _Conversation:
    """A child's end of the pipe that hands out ``requests`` in order and keeps the answers."""

    def __init__(self, requests):
        self.requests, self.answers = list(requests), []

    def recv(self):
        if not self.requests:
            raise EOFError
        return self.requests.pop(0)

    def send(self, answer):
        self.answers.append(answer)


def test_the_child_keeps_its_last_neighbour_lists_for_the_next_warm_update_instead_of_sending_them(monkeypatch):
    """At 70,000 points the lists are 12.6 MB: they went to the parent and back at every epoch,
    pickled beside the GUI thread. A request for KEPT lists of another size searches again."""
    from vae_explorer.trainer.maps import layout_process
    from vae_explorer.trainer.maps.layout_process import KEPT
    from vae_explorer.trainer.maps.tsne import TSNEResult

    rng = np.random.default_rng(2)
    lists = rng.integers(0, 500, (500, 45))
    given: list = []

    def fit(means, start, seed, n_jobs, neighbours=None, refresh=False):
        given.append(neighbours)
        searched = lists if len(means) == len(lists) else rng.integers(0, len(means), (len(means), 45))
        return TSNEResult(rng.normal(size=(len(means), 2)), searched if neighbours is None else neighbours)

    monkeypatch.setattr(layout_process, "tsne_plane", fit)
    codes = rng.normal(size=(500, 16))
    requests = [
        (codes, None, 0, None, None, ""),
        (codes, np.zeros((500, 2)), 0, KEPT, None, ""),
        (codes[:400], None, 0, KEPT, None, ""),
    ]
    conn = _Conversation(requests)
    layout_process.serve(conn, 1)
    assert given[0] is None and given[1] is lists and given[2] is None  # searched, kept, searched
    assert [ok for ok, _ in conn.answers] == [True, True, True]
    assert all(result.neighbours is None and result.figures is not None for _, result in conn.answers)


def test_a_prepared_child_is_the_one_that_computes_the_first_layout():
    """``prepare`` spawns the child ahead of the first layout (a second of imports, and the spawn
    left the first epoch's end); ``submit`` then uses it instead of starting another."""
    process = LayoutProcess(1)
    try:
        process.prepare()
        pid = process.pid
        assert pid is not None and not process.busy
        process.prepare()
        assert process.pid == pid  # a live child is kept
        means = np.random.default_rng(0).normal(size=(300, 4)).astype(np.float32)
        process.submit(means, None)
        deadline = time.monotonic() + 60
        while process.poll() == "busy" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.pid == pid and process.result().plane.shape == (300, 2)
    finally:
        process.close()
