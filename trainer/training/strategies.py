"""``train --strategy``: which tf.distribute strategy a run uses, and which process is the chief.

``default`` is the one-process trainer (``trainer.training.loop``), unchanged. ``mirrored`` is
``tf.distribute.MirroredStrategy`` over every local GPU (the CPU when there is none).
``multi-worker`` is ``MultiWorkerMirroredStrategy`` across the processes that the standard
``TF_CONFIG`` variable describes; it must exist before any other TensorFlow op runs, so the
command makes it first. ``auto`` is ``mirrored`` when more than one GPU is visible, else ``default``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from vae_explorer.trainer.errors import UserError

STRATEGIES = ("auto", "default", "mirrored", "multi-worker")


@dataclass
class Scaling:
    """The strategy of a run (None: one process, today's trainer) and this process's role."""

    name: str
    strategy: object | None = None
    chief: bool = True

    def describe(self) -> str:
        if self.strategy is None:
            return "one process"
        replicas = self.strategy.num_replicas_in_sync
        return f"{self.name}, {replicas} replica(s), global batch split between them"


def cluster_from_env() -> dict:
    """``TF_CONFIG`` parsed and checked enough to name a mistake in one line."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise UserError(
            "--strategy multi-worker needs TF_CONFIG (the cluster and this worker's task; see the README, 'Scaling')"
        )
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        task = config["task"]
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"TF_CONFIG is not a cluster and task description ({exc!s:.60})") from None
    if kind not in config["cluster"] or not 0 <= index < len(config["cluster"][kind]):
        raise UserError(f"TF_CONFIG: task {kind} {index} is not in the cluster")
    if not workers:
        raise UserError("TF_CONFIG lists no workers")
    return config


def is_chief(config: dict) -> bool:
    """The chief is the ``chief`` task, or worker 0 when the cluster names no chief (TF's rule)."""
    kind, index = config["task"]["type"], int(config["task"]["index"])
    if "chief" in config["cluster"]:
        return kind == "chief"
    return kind == "worker" and index == 0


def make_scaling(name: str) -> Scaling:
    """Create the strategy ``name`` asks for (first thing in ``train``: before any TF op)."""
    if name not in STRATEGIES:
        raise UserError(f"--strategy must be one of {', '.join(STRATEGIES)}")
    if name == "default":
        return Scaling("default")
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if name == "auto":
        return Scaling("mirrored", tf.distribute.MirroredStrategy()) if len(gpus) > 1 else Scaling("default")
    if name == "mirrored":
        return Scaling(name, tf.distribute.MirroredStrategy())
    config = cluster_from_env()
    # CPU-only workers need the ring all-reduce (NCCL is for GPUs); with GPUs let TF choose.
    implementation = (
        tf.distribute.experimental.CommunicationImplementation.AUTO
        if gpus
        else tf.distribute.experimental.CommunicationImplementation.RING
    )
    options = tf.distribute.experimental.CommunicationOptions(implementation=implementation)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    return Scaling(name, strategy, chief=is_chief(config))


def make_trainer(scaling: Scaling, config, dataset, model=None, history=None, listener=None):
    """The one epoch loop on this dataset and strategy: streamed steps for a dataset read from
    disk, replicated ones under a strategy, else the in-memory fast path."""
    from vae_explorer.trainer.training.loop import Trainer

    if getattr(dataset, "streamed", False) and scaling.strategy is not None:
        raise UserError(
            f"--strategy {scaling.name} trains from memory: this dataset is streamed from "
            "disk (too large for the memory budget, or --stream); use --in-memory or "
            "--strategy default"
        )
    steps = None
    if scaling.strategy is not None:
        from vae_explorer.trainer.training.distributed import distributed_steps

        steps = distributed_steps(scaling.strategy)
    return Trainer(config, dataset, model=model, history=history, listener=listener, steps=steps)
