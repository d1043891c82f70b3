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
from typing import TYPE_CHECKING, Any

from vae_explorer.trainer.errors import UserError

if TYPE_CHECKING:
    from vae_explorer.trainer.data.streaming import AnyDataset
    from vae_explorer.trainer.model.config import TrainConfig
    from vae_explorer.trainer.model.vae import VAE
    from vae_explorer.trainer.training.loop import Trainer
    from vae_explorer.trainer.training.reports import TrainingListener

STRATEGIES = ("auto", "default", "mirrored", "multi-worker")


@dataclass
class Scaling:
    """The strategy of a run (None: one process, today's trainer) and this process's role."""

    name: str
    strategy: Any = None  # a tf.distribute.Strategy
    chief: bool = True

    def describe(self) -> str:
        if self.strategy is None:
            return "one process"
        replicas = self.strategy.num_replicas_in_sync
        return f"{self.name}, {replicas} replica(s), global batch split between them"


JOBS = ("chief", "worker", "evaluator")  # the task types MultiWorkerMirroredStrategy runs with


def cluster_from_env() -> dict:
    """``TF_CONFIG`` parsed and checked, so that a mistake is one line before TensorFlow starts a server."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise UserError(
            "--strategy multi-worker needs TF_CONFIG (the cluster and this worker's task; see the README, 'Scaling')"
        )
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise UserError(f"TF_CONFIG is not JSON ({str(exc)[:60]})") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict):
        raise UserError('TF_CONFIG has no "cluster": {"worker": ["host:port", ...]}')
    _check_cluster(config["cluster"])
    _check_task(config.get("task"), config["cluster"])
    return config


def _check_cluster(cluster: dict) -> None:
    for job, addresses in cluster.items():
        if job not in JOBS:
            raise UserError(
                f'TF_CONFIG: the cluster\'s "{job}" jobs are not for this strategy (only {", ".join(JOBS)})'
            )
        if not isinstance(addresses, list) or not addresses:
            raise UserError(f'TF_CONFIG: the cluster\'s "{job}" must be a list of "host:port" addresses')
        for address in addresses:
            _check_address(job, address)
    if not set(cluster) & {"chief", "worker"}:
        raise UserError('TF_CONFIG: the cluster names no "chief" and no "worker"')


def _check_address(job: str, address: object) -> None:
    host, _, port = address.rpartition(":") if isinstance(address, str) else ("", "", "")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f'TF_CONFIG: {job} address {address!r:.60} is not "host:port"')


def _check_task(task: object, cluster: dict) -> None:
    if not isinstance(task, dict) or not isinstance(task.get("type"), str):
        raise UserError('TF_CONFIG has no "task": {"type": "worker", "index": N} for this process')
    kind, index = task["type"], task.get("index", 0)
    if kind not in cluster:
        raise UserError(f'TF_CONFIG: the task type "{kind:.20}" is not a job of the cluster')
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[kind]):
        raise UserError(
            f"TF_CONFIG: task {kind} {index!r:.20} is not in the cluster ({len(cluster[kind])} {kind} address(es))"
        )


def is_chief(config: dict) -> bool:
    """The chief is the ``chief`` task, or worker 0 when the cluster names no chief (TF's rule)."""
    kind, index = config["task"]["type"], int(config["task"].get("index", 0))
    if "chief" in config["cluster"]:
        return kind == "chief"
    return kind == "worker" and index == 0


def make_scaling(name: str) -> Scaling:
    """Create the strategy ``name`` asks for (first thing in ``train``: before any TF op)."""
    if name not in STRATEGIES:
        raise UserError(f"--strategy must be one of {', '.join(STRATEGIES)}")
    if name == "default":
        return Scaling("default")
    config = cluster_from_env() if name == "multi-worker" else {}  # checked before TensorFlow starts
    from vae_explorer.trainer.tf_runtime import import_tensorflow

    tf = import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if name == "auto":
        return Scaling("mirrored", tf.distribute.MirroredStrategy()) if len(gpus) > 1 else Scaling("default")
    if name == "mirrored":
        return Scaling(name, tf.distribute.MirroredStrategy())
    # CPU-only workers need the ring all-reduce (NCCL is for GPUs); with GPUs let TF choose.
    implementation = (
        tf.distribute.experimental.CommunicationImplementation.AUTO
        if gpus
        else tf.distribute.experimental.CommunicationImplementation.RING
    )
    options = tf.distribute.experimental.CommunicationOptions(implementation=implementation)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    return Scaling(name, strategy, chief=is_chief(config))


def make_trainer(
    scaling: Scaling,
    config: TrainConfig,
    dataset: AnyDataset,
    model: VAE | None = None,
    history: list[dict] | None = None,
    listener: TrainingListener | None = None,
) -> Trainer:
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
