"""The runs part: the app's run records, the Runs panel, curve overlays, side-by-side compare, Evaluate.

- ``state.RunsState``: the records in the app's runs folder and the rows the user selected.
- ``recorder.RunRecorder``: writes a record for every training (and TensorBoard logs if asked).
- ``table.RunsPanel``: the sortable table and its buttons; ``overlay.RunOverlay``: selected
  runs' curves in the loss plot; ``compare.CompareWindow``: two models' maps, linked by hover;
  ``evaluate.EvaluateDialog``: the importance-weighted bound, computed in the background.
- ``controller.RunsController``: owns all of it and wires it to the window's other parts.
"""
