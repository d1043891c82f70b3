"""The model: presets, the training config, the Keras VAE, its fused BatchNorm, its latent space."""
