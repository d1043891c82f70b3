"""The Draw tool: encodes the user's drawing on every stroke and the image files they open or
drop, places them on the map, and hands their codes to the interpolation (``MapState.ends``).

Encoding and decoding one image are compiled calls of about a millisecond
(``trainer.model.space.LatentSpace``), so a stroke is encoded on the GUI thread as it is drawn,
without a round trip to a thread; reading an image file (any size, up to the loader's 100 MP)
runs as a background job. A file that is not an image is one dialog naming it (``ErrorSink``).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from vae_explorer.explorer.draw.ellipses import EllipseOverlay
from vae_explorer.explorer.draw.markers import MarkerLayer
from vae_explorer.explorer.draw.panel import DrawPanel
from vae_explorer.explorer.draw.state import DrawState, PlacedImage
from vae_explorer.explorer.map.context import ToolContext

if TYPE_CHECKING:
    from vae_explorer.trainer.latent.encoded_image import ImageEncoder
    from vae_explorer.trainer.model.space import LatentCodes, LatentSpace

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg);;All files (*)"
REFERENCE_IMAGES = 256


class DrawTool(QObject):
    """Plugged into the map through its ``ToolContext``: its page, the markers and the ellipses."""

    name, order = "draw", 110
    hint = "Draw a digit or open your own images: see where they land and what the model makes of them"

    def __init__(self, ctx: ToolContext):
        super().__init__(ctx.view)
        app = ctx.app
        self.ctx, self.session, self.jobs, self.errors = ctx, ctx.session, app.jobs, app.errors
        self.status = ctx.status
        self.state = DrawState()
        self.panel = DrawPanel(self.state)
        self.ellipses = EllipseOverlay(ctx, self)
        self.markers = MarkerLayer(ctx, self.state, self.ellipses, self)
        ctx.add_tab("&Draw", self.panel, self.order, self.hint)
        # (space, codes, white_on_black, ImageEncoder) last built
        self._encoder: tuple[LatentSpace, LatentCodes | None, bool | None, ImageEncoder] | None = None
        self._polarity: tuple[object, bool] | None = None  # (held-out images, white on black?) last read
        self._canvas_key: tuple[tuple, bool] | None = None  # (image shape, white_on_black) the canvas was made for
        self.panel.canvas.stroked.connect(self.encode_drawing)
        self.panel.open_requested.connect(self.open_dialog)
        self.panel.remove_requested.connect(self.remove)
        self.panel.endpoint_requested.connect(self.set_endpoint)
        self.session.changed.connect(self._session_changed)
        self.state.changed.connect(lambda names: self._show_drawing() if "drawing" in names else None)

    # -- the encoder of the current model -------------------------------------------------
    def encoder(self):
        """An ``ImageEncoder`` for the session's model and codes, or None without a model."""
        from vae_explorer.trainer.latent.encoded_image import ImageEncoder

        space, codes = self.session.space, self.session.codes
        if space is None:
            return None
        polarity = self._data_polarity(space)
        if self._encoder is None or any(
            a is not b for a, b in zip(self._encoder, (space, codes, polarity), strict=False)
        ):
            self._encoder = (space, codes, polarity, ImageEncoder(space, codes, polarity))
        return self._encoder[3]

    def _data_polarity(self, space) -> bool | None:
        """White ink on black? From the dataset's held-out images when they fit the model (the
        truth); None lets the encoder read it from the decodes of the held-out means."""
        from vae_explorer.trainer.data.user_image import is_white_on_black

        data = self.session.dataset
        if data is None or tuple(data.image_shape) != tuple(space.image_shape):
            return None
        if self._polarity is None or self._polarity[0] is not data.x_test:  # read once per dataset
            self._polarity = (data.x_test, is_white_on_black(data.x_test[:REFERENCE_IMAGES]))
        return self._polarity[1]

    def _place(self, name, pixels, encoder, note="", path=None) -> PlacedImage:
        encoded = encoder.encode(pixels)
        reconstruction = self.session.space.decode(encoded.mean)[0]
        return PlacedImage(name, pixels, encoded, reconstruction, note, path)

    # -- the drawing ----------------------------------------------------------------------
    def encode_drawing(self) -> None:
        """The canvas changed: encode it, decode it, and the marker and reconstruction follow."""
        encoder, canvas = self.encoder(), self.panel.canvas
        if encoder is None or canvas.is_blank():
            self.state.drawing = None
            return
        channels = encoder.space.image_shape[-1]
        pixels = np.repeat(canvas.pixels()[..., None], channels, axis=-1)
        self.state.drawing = self._place("drawing", pixels, encoder)

    def _show_drawing(self) -> None:
        """The canvas shows the state's drawing when something else set it (an undo, a redo)."""
        drawing, canvas = self.state.drawing, self.panel.canvas
        pixels = None if drawing is None else drawing.pixels[..., 0]
        if pixels is None and not canvas.is_blank():
            canvas.show_pixels(None)
        elif pixels is not None and (pixels.shape != canvas.pixels().shape or (pixels != canvas.pixels()).any()):
            canvas.show_pixels(pixels)

    def _session_changed(self, names) -> None:
        if names & {"model", "space", "dataset"}:
            self._follow_model()
        elif "codes" in names:
            self.reencode()

    def _follow_model(self) -> None:
        """A canvas of the model's size and the data's polarity; what no longer fits goes."""
        encoder = self.encoder()
        if encoder is None:
            return
        self.panel.label_names = self.session.label_names()
        key = (tuple(encoder.space.image_shape), encoder.white_on_black)
        if key != self._canvas_key:
            self._canvas_key = key
            had_images = bool(self.state.images)
            self.state.update(drawing=None, images=(), chosen=None)
            self.panel.canvas.set_shape(key[0][0], key[0][1], key[1])
            if had_images:
                self.status("The images placed on the map were taken off: the new model takes other images")
        self.reencode()

    def reencode(self) -> None:
        """New weights (an epoch, another model of the same size): encode everything again."""
        encoder = self.encoder()
        if encoder is None:
            return
        images = tuple(self._place(p.name, p.pixels, encoder, p.note, p.path) for p in self.state.images)
        self.state.images = images
        self.encode_drawing()

    # -- image files ----------------------------------------------------------------------
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.panel.window(), "Open images", "", IMAGE_FILTER)
        if paths:
            self.open_images(paths)

    def open_images(self, paths) -> None:
        """Read each file in the background, then encode it and place it on the map."""
        from vae_explorer.trainer.data.user_image import prepare_image

        encoder = self.encoder()
        if encoder is None:
            self.status("Train or open a model first: an image is placed on the map by its encoder")
            return
        for path in paths:
            read = partial(prepare_image, path, encoder.space.image_shape, encoder.white_on_black)
            self.jobs.run(read, self._image_read, self.errors.reporter("Cannot open image"))

    def _image_read(self, prepared) -> None:
        encoder = self.encoder()
        if encoder is None or prepared.pixels.shape != tuple(encoder.space.image_shape):
            self.status(f"{prepared.name}: not placed, the model changed while it was read")
            return
        placed = self._place(prepared.name, prepared.pixels, encoder, prepared.note, prepared.path)
        self.state.update(images=self.state.images + (placed,), chosen=len(self.state.images))
        self.status(f"{prepared.name} placed on the map" + (f" ({prepared.note})" if prepared.note else ""))

    def remove(self, index: int) -> None:
        images = self.state.images
        if 0 <= index < len(images):
            self.state.update(images=images[:index] + images[index + 1 :], chosen=None)
            self.status(f"{images[index].name} taken off the map")

    # -- interpolation --------------------------------------------------------------------
    def set_endpoint(self, which: str) -> None:
        """The chosen image's posterior mean becomes interpolation end ``which``."""
        image = self.state.chosen_image()
        if image is None:
            self.status("Draw something or open an image first")
            return
        self.ctx.state.ends = {**self.ctx.state.ends, which: np.array(image.encoded.mean, np.float32)}
        self.status(f"{which} = the code of {image.name}; see the Interpolate tab")
