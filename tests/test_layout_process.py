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
