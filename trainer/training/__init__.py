"""Training: one epoch loop fed by step sources (in memory, streamed, data-parallel), and what listens to it."""
