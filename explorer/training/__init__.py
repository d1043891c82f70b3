"""The training part: its state, the runner that owns the thread, the controller, the panel."""
