"""What the one epoch loop (``training.loop.Trainer``) drives: a step source.

A step source owns the model and the graphs that train it, and knows how batches come: from one
tensor in memory (``memory.InMemorySteps``, the fast path), from disk through tf.data
(``streamed.StreamedSteps``) or split between replicas (``distributed.DistributedSteps``). The
loop does everything else once, for all of them: pause and stop between two batches, the NaN
rule, the reports, the snapshot of the last good epoch (as superqt's ``GeneratorWorker`` drives
any generator between its pause and abort checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol


class StepResult(NamedTuple):
    """One training batch: its mean loss terms and how many images it held."""

    loss: float
    reconstruction_loss: float
    kl_loss: float
    images: int


class StepSource(Protocol):
    """``model``, its ``latent`` space and, when it can be reused by a later run, ``compiled``."""

    model: Any
    latent: Any
    compiled: Any
    # True when every process of a multi-worker run must agree on a stop: the steps then carry
    # the request and yield None once it is agreed; else the loop stops before the next batch.
    agrees_on_stop: bool

    def train_images(self) -> int:
        """How many training images an epoch visits."""
        ...

    def batches_per_epoch(self) -> int:
        """How many batches an epoch has (a streamed epoch may end earlier)."""
        ...

    def epoch(self, epoch: int, stop_requested: Callable[[], bool]) -> Iterator[StepResult | None]:
        """Train epoch ``epoch`` (0-based), one yielded result per batch."""
        ...

    def held_out(self) -> dict[str, float]:
        """Means of loss, reconstruction_loss, kl_loss and neg_elbo over the held-out images."""
        ...
