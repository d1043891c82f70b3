"""What is written to disk: the model file, run records, image sheets, CSV, all atomically."""
