"""Latent-space tools: paths, class directions and samples, prior holes, per-image figures, likelihood."""
