"""The desktop front end: a window assembled from parts (training, datasets, files, map, exports)."""
