"""A model report to share: one self-contained HTML file (``vae-explorer report``)."""
