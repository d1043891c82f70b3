"""Does tracing TensorFlow functions on worker threads deadlock (tensorflow#66115)? The app builds
and traces a new Trainer on its training thread, so the answer decides whether Start may leave
the GUI thread free.

    python tests/benchmarks/tracing_threads.py --rounds 20

Each round, two NEW threads at once build a model and trace every graph the app traces (the
train and test steps through a Trainer, encode/decode, per-image losses, the held-out evaluator)
while a third thread keeps decoding with a model traced in an earlier round and a fourth trains
one epoch after another (each Trainer built, hence traced, on that thread). A round still running
after 120 s is a deadlock: the script says so and exits 3. Prints one line per round and a summary.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

from vae_explorer.trainer.tf_runtime import import_tensorflow

PRESETS = ("default", "tutorial", "dense")
ROUND_LIMIT_S = 120.0


def build_and_trace(i: int, shared: dict) -> None:
    from vae_explorer.trainer.latent.per_image import PerImageLosses
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.model.space import LatentSpace
    from vae_explorer.trainer.training.compiled import CompiledVAE, HeldOutEvaluator, new_model

    model = new_model(TrainConfig(preset=PRESETS[i % 3], seed=i), (28, 28, 1))
    CompiledVAE(model)
    space, losses, held_out = LatentSpace(model), PerImageLosses(model), HeldOutEvaluator(model)
    x = np.random.default_rng(i).random((64, 28, 28, 1), dtype=np.float32)
    space.encode(x)
    losses(x)
    held_out(x)
    shared["space"] = space


def decode_forever(shared: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        space = shared.get("space")
        if space is not None:
            space.decode(np.zeros((8, space.latent_dim), np.float32))
        time.sleep(0.001)


def train_forever(stop: threading.Event, epochs: list) -> None:
    from vae_explorer.trainer.data import load_dataset
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.training.loop import Trainer

    data = load_dataset().subset(2000, 200)
    while not stop.is_set():
        Trainer(TrainConfig(preset="dense", epochs=1, seed=len(epochs)), data).run()
        epochs.append(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    rounds = ap.parse_args().rounds
    import_tensorflow()
    shared: dict = {}
    stop, epochs = threading.Event(), []
    for target, args in ((decode_forever, (shared, stop)), (train_forever, (stop, epochs))):
        threading.Thread(target=target, args=args, daemon=True).start()
    started = time.perf_counter()
    for i in range(rounds):
        t0 = time.perf_counter()
        builders = [threading.Thread(target=build_and_trace, args=(2 * i + k, shared), daemon=True) for k in (0, 1)]
        for b in builders:
            b.start()
        for b in builders:
            b.join(ROUND_LIMIT_S)
        if any(b.is_alive() for b in builders):
            print(f"DEADLOCK: round {i} still tracing after {ROUND_LIMIT_S:.0f} s", flush=True)
            os._exit(3)
        print(f"round {i}: {time.perf_counter() - t0:.2f} s", flush=True)
    stop.set()
    print(f"ok: {rounds} rounds, {2 * rounds} models traced on new threads, {len(epochs)} training epochs "
          f"meanwhile, {time.perf_counter() - started:.1f} s")  # fmt: skip
    os._exit(0)  # daemon threads inside TensorFlow: skip the interpreter's teardown


if __name__ == "__main__":
    main()
