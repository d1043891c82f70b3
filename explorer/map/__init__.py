"""The map part: the latent map's state, its layouts, the controller that decodes, its widgets.

- ``state.MapState``: codes drawn, ``layout``/``dims``, ``projection`` (latent ↔ plane),
  ``current``/``current_index``, A/B ``ends``, interpolation ``frames``/``path``.
- ``layouts.LAYOUTS``: name → ``Layout(build, axis_names)``; a new map mode is one entry whose
  ``build`` returns an object with ``to_plane(z)``, ``from_plane(p)`` and ``kind``.
- ``controller.MapController``: owns the state and the widgets (``LatentMap``, ``AxesChooser``,
  ``ExplorePanel``), follows the ``Session``, decodes, and keeps decodes for the exports.
- ``data_controller.MapDataController``: the tools for the held-out images on the map
  (``data_state.MapDataState``): thumbnails, the hover card, the legend as a filter, colour by
  per-image loss or KL, the worst list, rectangle/lasso selection and its gallery.
"""
