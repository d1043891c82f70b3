"""Where a training step's time goes: TensorFlow's profiler over the trainer's compiled step.

    python tests/benchmarks/profile_step.py                  # tutorial preset, batch 128, 30 steps
    python tests/benchmarks/profile_step.py --preset default --top 15

Runs the trainer's own step (``CompiledVAE.train_step``) under ``tf.profiler`` and reads the
trace it writes (XPlane protobuf, parsed with the classes TensorFlow ships) without TensorBoard:
the time of every kernel on TensorFlow's compute threads, summed per op type and per op
(layer), per step. The kernels' times add up to more than the wall time when two run at once.
"""

from __future__ import annotations

import argparse
import collections
import glob
import tempfile
import time

import numpy as np

from vae_explorer.trainer.tf_runtime import import_tensorflow

tf = import_tensorflow()

from vae_explorer.trainer.data import load_dataset  # noqa: E402
from vae_explorer.trainer.model.config import TrainConfig  # noqa: E402
from vae_explorer.trainer.training.loop import Trainer  # noqa: E402


def kernel_times(logdir: str) -> collections.Counter:
    """Seconds per op name ("layer/op:Type") on TensorFlow's compute threads, from the trace."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with open(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0], "rb") as f:
        space.ParseFromString(f.read())
    times: collections.Counter = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" in name and "::" not in name:  # kernels are "op name:Type", not "ExecutorState::Process"
                    times[name] += event.duration_ps * 1e-12
    return times


def profile(preset: str, batch: int, steps: int) -> tuple[float, collections.Counter]:
    """Wall seconds per step and kernel seconds per op over ``steps`` profiled steps."""
    data = load_dataset()
    trainer = Trainer(TrainConfig(preset=preset, epochs=1, batch_size=batch), data)
    x_all = tf.constant(data.x_train)
    rng = np.random.default_rng(0)
    batches = [tf.constant(rng.permutation(len(data.x_train))[:batch].astype(np.int32)) for _ in range(steps + 5)]
    for idx in batches[:5]:  # warm-up: first runs optimise the graph
        trainer.compiled.train_step(x_all, idx)
    logdir = tempfile.mkdtemp(prefix="vae-profile-")
    tf.profiler.experimental.start(logdir)
    t0 = time.perf_counter()
    for idx in batches[5:]:
        [float(v) for v in trainer.compiled.train_step(x_all, idx)]
    wall = (time.perf_counter() - t0) / steps
    tf.profiler.experimental.stop()
    return wall, kernel_times(logdir)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="tutorial")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    wall, times = profile(args.preset, args.batch_size, args.steps)
    total = sum(times.values())
    by_type: collections.Counter = collections.Counter()
    for name, seconds in times.items():
        by_type[name.rsplit(":", 1)[1]] += seconds
    print(
        f"{args.preset}, batch {args.batch_size}: {wall * 1e3:.2f} ms per step (wall), "
        f"{total / args.steps * 1e3:.2f} ms of kernels per step"
    )
    for title, table in (("op type", by_type), ("op (layer)", times)):
        print(f"\nby {title}: ms per step, share of kernel time")
        for name, seconds in table.most_common(args.top):
            print(f"  {seconds / args.steps * 1e3:6.2f}  {seconds / total:5.1%}  {name}")


if __name__ == "__main__":
    main()
