"""The map's tools, each a state object, the page bound to it and what it draws on the map.

Every tool is built with the map part's ``ToolContext`` (``explorer.map.context``), the one door
through which tools plug in: it adds its page with ``add_tab(name, widget, order, hint)`` and its
map items with ``add_overlay``, reads the session and the map's state, and writes only state.
``TOOLS`` lists them; the window builds them in this order, and each one's page is placed by its
own ``order``, not by who came first.
"""

from __future__ import annotations


def all_tools() -> list[type]:
    """The tool classes the window builds (imported here, so that importing the package is cheap)."""
    from vae_explorer.explorer.draw.controller import DrawTool
    from vae_explorer.explorer.tools.class_samples import ClassSamplesTool
    from vae_explorer.explorer.tools.direction import DirectionTool
    from vae_explorer.explorer.tools.epochs import EpochsTool
    from vae_explorer.explorer.tools.grid import GridTool
    from vae_explorer.explorer.tools.health import HealthTool
    from vae_explorer.explorer.tools.interpolate import InterpolateTool
    from vae_explorer.explorer.tools.point import PointTool
    from vae_explorer.explorer.tools.prior_holes import PriorHolesTool
    from vae_explorer.explorer.tools.selection import GalleryTool
    from vae_explorer.explorer.tools.traverse import TraverseTool
    from vae_explorer.explorer.tools.worst import WorstTool

    return [
        PointTool,
        InterpolateTool,
        TraverseTool,
        GridTool,
        DirectionTool,
        ClassSamplesTool,
        PriorHolesTool,
        HealthTool,
        EpochsTool,
        WorstTool,
        GalleryTool,
        DrawTool,
    ]
