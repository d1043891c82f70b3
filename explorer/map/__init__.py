"""The map part: the latent map's state, its layouts, the controller that decodes, its widgets."""
