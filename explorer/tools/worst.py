"""The Worst tool: the held-out images the model reconstructs worst (of the points shown).

A click (or Enter) centres the map on one, keeping the zoom, and makes it the current point as a
click on its dot would. The per-image figures come from the map's background scoring.
"""

from __future__ import annotations

import numpy as np

from vae_explorer.explorer.map.context import ToolContext
from vae_explorer.explorer.tools.data_pages import WorstList

WORST_N = 20


class WorstTool:
    name, order = "worst", 90
    hint = "The held-out images reconstructed worst; pick one to find it on the map"

    def __init__(self, ctx: ToolContext):
        self.ctx, self.session, self.view_state = ctx, ctx.session, ctx.view_state
        self.page = WorstList()
        ctx.add_tab("Worst", self.page, self.order, self.hint)
        self.page.chosen.connect(self.jump_to)
        self.view_state.changed.connect(lambda names: self.refresh() if names & {"hidden", "metrics"} else None)
        ctx.view.points_changed.connect(self.refresh)
        ctx.panel.currentChanged.connect(lambda _: self._want_metrics())

    def _want_metrics(self) -> None:
        if self.ctx.in_view(self.page):
            self.ctx.want_metrics()

    def refresh(self) -> None:
        from vae_explorer.trainer.latent.per_image import worst

        points = self.ctx.state.points
        metrics = self.view_state.metrics_for(points)
        if metrics is None or points is None or len(points) != len(metrics.reconstruction):
            self.page.show_entries([])
            self._want_metrics()
            return
        top = worst(metrics.reconstruction, WORST_N, among=self.ctx.view.drawn())
        images = self.session.point_images(points, top)
        if images is None:
            self.page.show_entries([])
            return
        caption = lambda i: self.session.point_caption(points, int(i))  # noqa: E731
        self.page.show_entries(
            [(int(i), images[k], f"{caption(i)} · loss {metrics.reconstruction[i]:.1f}") for k, i in enumerate(top)]
        )

    def jump_to(self, index: int) -> None:
        """Centre the view on a held-out image's point, keeping the zoom, and make it current."""
        vb = self.ctx.view.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        x, y = (float(v) for v in self.ctx.view.plane[index])
        vb.setRange(
            xRange=(x - (x1 - x0) / 2, x + (x1 - x0) / 2), yRange=(y - (y1 - y0) / 2, y + (y1 - y0) / 2), padding=0
        )
        points = self.ctx.state.points
        self.ctx.state.update(current=np.asarray(points.means[index], np.float32), current_index=int(index))
