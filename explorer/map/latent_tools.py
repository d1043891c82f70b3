"""The map part's latent tools, assembled: class directions and class samples, prior holes,
and the replay of the map across epochs (issue 12). Each is its own module; this only builds them
and adds their tabs to the explore panel, after the map part has made its own connections (so
its redraw of the map always comes before theirs)."""

from __future__ import annotations

from dataclasses import dataclass

from vae_explorer.explorer.map.class_controller import ClassToolsController
from vae_explorer.explorer.map.epoch_scrub import EpochScrub
from vae_explorer.explorer.map.prior_overlay import PriorHolesOverlay
from vae_explorer.explorer.map.space_tab import SpaceTab


@dataclass
class LatentTools:
    classes: ClassToolsController
    space_tab: SpaceTab
    prior_holes: PriorHolesOverlay
    epochs: EpochScrub


def add_latent_tools(part) -> LatentTools:
    """Build the tools around ``part`` (a ``MapController``) and add their tabs to its panel."""
    classes = ClassToolsController(part)
    tab = SpaceTab()
    part.panel.addTab(tab, "Prior && epochs")
    return LatentTools(classes, tab, PriorHolesOverlay(part, tab), EpochScrub(part, tab))
