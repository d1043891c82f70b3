"""Package marker: installs this folder as ``vae_explorer_assets`` so its data ships in wheels."""
