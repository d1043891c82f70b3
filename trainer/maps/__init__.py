"""The map's maths: layouts of the latent codes on a plane, their inverse, and how legible they are."""
