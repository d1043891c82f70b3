"""Bring your own image: draw on a canvas, open or drop image files, see where they land on the map."""
