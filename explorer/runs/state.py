"""The runs part's state: which records the app's runs folder holds and which the user selected.

Plain data with change notification (``explorer.core.evented``): the controller writes it, the
table, the overlay and the buttons follow it. The records are ``trainer.files.runs.RunRecord``s,
read with the same functions as ``vae-explorer runs``.
"""

from __future__ import annotations

from vae_explorer.explorer.core.evented import EventedModel, Field


class RunsState(EventedModel):
    """``changed(frozenset of names)`` after every change."""

    FIELDS = {
        "folder": "",  # where the app keeps its records
        "records": [],  # trainer.runs.RunRecord, oldest first; always a new list
        "selected": (),  # record paths of the rows selected in the table, in table order
        "warnings": [],  # records that could not be read (skipped), one line each
    }
    folder = Field()
    records = Field()
    selected = Field()
    warnings = Field()

    def selected_records(self) -> list:
        """The selected records, in the order they were selected in the table."""
        by_path = {r.path: r for r in self.records}
        return [by_path[p] for p in self.selected if p in by_path]

    def record(self, path: str):
        return next((r for r in self.records if r.path == path), None)
