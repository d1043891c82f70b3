"""The Class samples tool: N×N draws from a Gaussian fitted to one label's held-out codes, decoded.

The model stays unconditional: only the held-out codes are labelled (``trainer.latent.class_tools``).
Decoded only while the page is in view; *Export PNG…* writes the grid as File ▸ Export does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.tools.class_pages import ClassSampleSettings, ClassSamplesTab, fill_classes
from vae_explorer.explorer.tools.direction import ClassMeans
from vae_explorer.trainer.files.imagegrid import tile
from vae_explorer.trainer.latent import class_tools

if TYPE_CHECKING:
    from vae_explorer.trainer.model.space import LatentCodes


class ClassSamplesTool:
    name, order = "class_samples", 60
    hint = "Sample one class: draws from a Gaussian fitted to its held-out codes, decoded"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session = ctx, ctx.session
        self.settings = ClassSampleSettings()
        self.page = ClassSamplesTab(self.settings)
        self.classes = ClassMeans(self.session)
        self._samples: tuple[tuple, LatentCodes, np.ndarray] | None = None  # (key, codes, decoded samples) last decoded
        ctx.add_tab("Class samples", self.page, self.order, self.hint)
        self.page.resample.clicked.connect(lambda: self.settings.update(seed=self.settings.seed + 1))
        self.page.export.clicked.connect(lambda: ctx.export_png("class_samples"))
        self.session.changed.connect(self._session_changed)
        self.settings.changed.connect(lambda names: self.update())
        ctx.panel.currentChanged.connect(lambda _: self.update())

    def _session_changed(self, names) -> None:
        if "model" in names:
            self._samples = None
            self.page.grid.set_image(None)
        if names & {"model", "codes", "dataset"}:
            labels = self.classes.labels()
            fill_classes(self.page.label_box, labels, self.session.label_names(), self.settings.label)
            self.settings.update(label=self.page.label_box.currentData())
            self.page.note.setText("" if labels else "The held-out set has no labels: no classes to sample.")
            self.update()

    def sample_grid(self, pad: int = 1) -> np.ndarray | None:
        """The N×N grid of decoded samples of the chosen class (decoded now if not yet)."""
        codes, label, space = self.session.codes, self.settings.label, self.session.space
        if codes is None or codes.labels is None or label is None or space is None:
            return None
        n, seed = self.settings.n, self.settings.seed
        key = (int(label), n, seed)
        if self._samples is None or self._samples[0] != key or self._samples[1] is not codes:
            z = class_tools.class_samples(codes.means, codes.labels, int(label), n * n, seed)
            self._samples = key, codes, space.decode(z)
        return tile(self._samples[2], cols=n, pad=pad)

    def update(self) -> None:
        """Show the grid, if its page is in view (it is decoded when it comes into view)."""
        if self.ctx.in_view(self.page):
            self.page.grid.set_image(self.sample_grid())

    def export_image(self) -> np.ndarray | None:
        return self.sample_grid(pad=2)
