"""The training panel's TensorBoard option: a checkbox and the folder the logs go to.

Checked, every training the app runs writes the event files ``vae-explorer train --tensorboard``
writes (``trainer.training.tensorboard_log``), each run into its own sub-folder named like its run
record, so that ``tensorboard --logdir FOLDER`` compares them. The choice is remembered.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

ENABLED_KEY, FOLDER_KEY = "tensorboard/enabled", "tensorboard/folder"


class TensorBoardBox(QWidget):
    """``default_folder`` is used until the user chooses another (``<runs folder>/tensorboard``)."""

    def __init__(self, settings, default_folder: str, parent=None):
        super().__init__(parent)
        self.settings, self.default_folder = settings, default_folder
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.enabled = QCheckBox("Write TensorBoard logs")
        self.enabled.setToolTip(
            "Scalars, images and Embedding Projector files for each run, as "
            "'vae-explorer train --tensorboard' writes; view them with 'tensorboard --logdir FOLDER'"
        )
        self.choose = QPushButton("Folder…")
        self.choose.setToolTip("Where the runs' log folders go")
        row.addWidget(self.enabled, 1)
        row.addWidget(self.choose)
        layout.addLayout(row)
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        layout.addWidget(self.folder_label)
        self.enabled.setChecked(str(settings.value(ENABLED_KEY, "false")).lower() == "true")
        self._folder = str(settings.value(FOLDER_KEY, "") or "")
        self.enabled.toggled.connect(self._remember)
        self.choose.clicked.connect(self.choose_folder)
        self._show_folder()

    def folder(self) -> str:
        return self._folder or self.default_folder

    def set_folder(self, folder: str) -> None:
        self._folder = os.path.abspath(folder)
        self.settings.setValue(FOLDER_KEY, self._folder)
        self._show_folder()

    def logdir_for(self, run_name: str) -> str | None:
        """The log folder of the run ``run_name``, or None when logs are not asked for."""
        return os.path.join(self.folder(), run_name) if self.enabled.isChecked() else None

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for TensorBoard logs", self.folder())
        if folder:
            self.set_folder(folder)

    def _remember(self, on: bool) -> None:
        self.settings.setValue(ENABLED_KEY, "true" if on else "false")
        self._show_folder()

    def _show_folder(self) -> None:
        shown = self.folder_label.fontMetrics().elidedText(self.folder(), Qt.TextElideMode.ElideMiddle, 280)
        self.folder_label.setText(f"into {shown}" if self.enabled.isChecked() else "")
        self.folder_label.setToolTip(f'tensorboard --logdir "{self.folder()}"')
