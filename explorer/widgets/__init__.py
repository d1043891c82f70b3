"""Small widgets and helpers the parts build their panels from."""
