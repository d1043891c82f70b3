"""Finding your way (issue 23), through the user's path: the command palette (Ctrl+Shift+P), the
shortcuts list (F1), View ▸ Class colours remembered across restarts, legends beside the plots
(never over the data), and a tooltip on every control that has no label of its own."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from tests.gui.helpers import open_model
from vae_explorer.explorer.core.actions import ACTIONS, Facts, needs
from vae_explorer.explorer.core.command_palette import plain
from vae_explorer.explorer.core.guide import MAP_GESTURES
from vae_explorer.trainer.report.colours import PALETTES

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
NATIVE = QKeySequence.SequenceFormat.NativeText


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed with the window active, as a user presses a shortcut."""
    window.activateWindow()
    qtbot.keyClick(window, key, modifiers)


def open_palette(window, qtbot):
    press(qtbot, window, Qt.Key.Key_P, CTRL_SHIFT)
    qtbot.waitUntil(lambda: window.guide.palette is not None and window.guide.palette.isVisible(), timeout=5000)
    return window.guide.palette


def rows(palette) -> list[str]:
    return [palette.list.item(i).text() for i in range(palette.list.count())]


def enabled_rows(palette) -> list[bool]:
    return [bool(palette.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled) for i in range(palette.list.count())]


@pytest.fixture
def opened(window, qtbot, gui_model_file):
    """The window with a small latent-2 model open: most actions are enabled."""
    assert open_model(window, str(gui_model_file[0]))
    qtbot.waitUntil(lambda: window.session.held_out_images() is not None and not window.busy(), timeout=20_000)
    return window


# -- the command palette ----------------------------------------------------------------------
def test_ctrl_shift_p_lists_every_action_with_its_shortcut(opened, qtbot):
    palette = open_palette(opened, qtbot)
    shown = rows(palette)
    assert len(shown) == len(ACTIONS)
    for name, action in opened.actions.actions.items():
        row = next(r for r in shown if plain(action.text()) in r)
        assert action.shortcut().toString(NATIVE) in row, name
    assert "&" not in shown[0] and "Open model" in shown[0] and "Ctrl+O" in shown[0]


def test_typing_filters_on_words_case_ignored_and_enter_runs_the_action_and_closes(opened, qtbot):
    palette = open_palette(opened, qtbot)
    qtbot.keyClicks(palette.filter, "SCALE log")
    assert len(rows(palette)) == 1 and "Log-scale loss" in rows(palette)[0]
    assert not opened.actions["log"].isChecked()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert not palette.isVisible()
    assert opened.actions["log"].isChecked() and opened.training.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_up_and_down_choose_the_row_enter_runs(opened, qtbot):
    palette = open_palette(opened, qtbot)
    qtbot.keyClicks(palette.filter, "view")  # the View menu's commands, by their place in the menus
    names = [palette.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(palette.list.count())]
    assert names[:3] == ["log", "fit", "runs"] and "palette" in names and "open" not in names
    assert palette.chosen() == "log"
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Up):
        qtbot.keyClick(palette.filter, key)
    assert palette.chosen() == "runs"
    assert not opened.runs_dock.isVisible()
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(opened.runs_dock.isVisible, timeout=2000)
    assert not palette.isVisible()


def test_disabled_actions_are_greyed_with_what_they_need_and_cannot_be_run(window, qtbot):
    palette = open_palette(window, qtbot)  # no model yet: saving and exporting are not possible
    qtbot.keyClicks(palette.filter, "save model")
    assert len(rows(palette)) == 2 and enabled_rows(palette) == [False, False]
    assert all("needs a trained or opened model" in row for row in rows(palette))
    qtbot.keyClick(palette.filter, Qt.Key.Key_Down)
    assert palette.chosen() is None
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert palette.isVisible()  # nothing ran
    palette.filter.clear()
    assert all(enabled_rows(palette)[i] for i, row in enumerate(rows(palette)) if "Quit" in row)


def test_every_rule_that_can_disable_an_action_says_what_it_needs():
    """The reason lives with the rule: any rule that is false for some facts names what it needs."""
    names = [f.name for f in dataclasses.fields(Facts)]
    every = [Facts(**dict(zip(names, v, strict=True))) for v in itertools.product((False, True), repeat=len(names))]
    for name, spec in ACTIONS.items():
        if not all(spec.enabled(f) for f in every):
            assert needs(spec.enabled).startswith("needs "), name


# -- the shortcuts list -----------------------------------------------------------------------
def test_f1_lists_every_shortcut_of_the_action_table_and_the_map_gestures(window, qtbot):
    press(qtbot, window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.guide.shortcuts is not None and window.guide.shortcuts.isVisible(), timeout=5000)
    dialog = window.guide.shortcuts
    keys = [a.shortcut().toString(NATIVE) for a in window.actions.actions.values() if not a.shortcut().isEmpty()]
    listed = dialog.rows(0)
    assert sorted(k for k, _ in listed) == sorted([*keys, "Ctrl+T"])
    assert ("Ctrl+Shift+P", "Command palette… (View)") in listed and ("F1", "Keyboard shortcuts (Help)") in listed
    assert len(set(keys + ["Ctrl+T"])) == len(keys) + 1  # no two commands share a shortcut
    gestures = dict(dialog.rows(1))
    assert list(gestures) == [keys for keys, _, _ in MAP_GESTURES]
    for _, _, module in MAP_GESTURES:  # each gesture names the code that does it
        assert module == "pyqtgraph" or importlib.util.find_spec(f"vae_explorer.explorer.map.{module}"), module
    assert {"Shift+drag", "Ctrl+drag or Alt+drag", "Wheel", "Escape", "Click a legend entry"} <= gestures.keys()


# -- class colours ----------------------------------------------------------------------------
def colours_menu(window) -> QMenu:
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    return next(a.menu() for a in view.actions() if a.menu() is not None and a.text() == "&Class colours")


def legend_rgb(window) -> tuple:
    sample = window.map.map.legend.items[0][0]
    return sample.item.opts["brush"].color().getRgb()[:3], window.map.map.legend_values[0]


def choose_by_palette(window, qtbot, words: str) -> None:
    palette = open_palette(window, qtbot)
    qtbot.keyClicks(palette.filter, words)
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)


def test_class_colours_menu_is_bound_to_the_state_and_remembered_after_a_restart(opened, qtbot, tmp_path):
    menu = colours_menu(opened)
    tab10, okabe = opened.actions["colours_tab10"], opened.actions["colours_okabe_ito"]
    assert menu.actions() == [tab10, okabe] and tab10.actionGroup().isExclusive()
    assert tab10.isChecked() and not okabe.isChecked()
    choose_by_palette(opened, qtbot, "okabe")
    assert opened.map.view_state.palette == "okabe-ito" and okabe.isChecked() and not tab10.isChecked()
    rgb, label = legend_rgb(opened)
    assert rgb == PALETTES["okabe-ito"][label]
    opened.map.view_state.palette = "tab10"  # a change from elsewhere (a session file): the menu follows
    assert tab10.isChecked() and not okabe.isChecked()
    opened.map.view_state.palette = "okabe-ito"
    opened.session.dirty = False
    opened.close()
    qtbot.waitUntil(lambda: not opened.isVisible(), timeout=10_000)
    again = reopened(qtbot, opened.settings.fileName(), tmp_path)
    assert again.map.view_state.palette == "okabe-ito" and again.actions["colours_okabe_ito"].isChecked()
    rgb, label = legend_rgb(again)
    assert rgb == PALETTES["okabe-ito"][label]
    again.close()
    qtbot.waitUntil(lambda: not again.busy(), timeout=10_000)
    again.deleteLater()


def reopened(qtbot, settings_file: str, tmp_path):
    """A new window on the same settings file, as at the next start."""
    from vae_explorer.explorer.main_window import MainWindow

    settings = QSettings(settings_file, QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, runs_dir=str(tmp_path / "runs"))
    w.show()  # not qtbot.addWidget: pytest-qt would delete it before it is idle (see gui/conftest.py)
    qtbot.waitUntil(lambda: w.session.tf_ready and w.session.dataset is not None and not w.busy(), timeout=60_000)
    return w


# -- legends beside the plots -----------------------------------------------------------------
def test_no_legend_covers_the_plot_area_of_the_map_or_the_loss_plot(opened, qtbot):
    qtbot.waitUntil(lambda: len(opened.map.map.legend.items) == 10, timeout=5000)
    for plot in (opened.map.map, opened.training.loss_plot):
        legend, view = plot.getPlotItem().legend, plot.getViewBox()
        assert legend.isVisible() and legend.items
        assert not legend.sceneBoundingRect().intersects(view.sceneBoundingRect()), type(plot).__name__
        assert plot.sceneRect().contains(legend.sceneBoundingRect())  # and it is not cut off


# -- tooltips ---------------------------------------------------------------------------------
OWN = (QPushButton, QToolButton, QCheckBox, QRadioButton, QComboBox, QSpinBox, QDoubleSpinBox)


def qt_own(widget: QWidget) -> bool:
    """A part Qt builds inside its own widgets (a line edit's clear button, the menu bar's »)."""
    return widget.objectName().startswith("qt_") or isinstance(widget.parentWidget(), QLineEdit)


def labelled(widget: QWidget, labels: set) -> bool:
    """A control with a label of its own: a button's text, a buddy label or a form row's label."""
    if isinstance(widget, QAbstractButton):
        return bool(plain(widget.text()).strip())
    form = widget.parentWidget().layout() if widget.parentWidget() else None
    return id(widget) in labels or (isinstance(form, QFormLayout) and form.labelForField(widget) is not None)


def test_every_control_without_a_label_of_its_own_has_a_tooltip(opened):
    labels = {id(label.buddy()) for label in opened.findChildren(QLabel) if label.buddy() is not None}
    controls = [w for kind in (QAbstractButton, QComboBox, QAbstractSpinBox) for w in opened.findChildren(kind)]
    ours = [w for w in controls if (type(w) in OWN or type(w).__module__ != "PySide6.QtWidgets") and not qt_own(w)]
    assert len(ours) > 20
    bare = [
        f"{type(w).__name__} {w.objectName() or ''} in {type(w.parentWidget()).__name__}"
        for w in ours
        if not labelled(w, labels) and not w.toolTip().strip()
    ]
    assert not bare, "controls with neither a label nor a tooltip: " + "; ".join(bare)


# -- readable at 200 % (tests/tools/screenshots.py --scaled takes the picture) -----------------
def test_the_window_fits_a_laptop_screen_at_200_percent(window):
    """2560×1600 pixels at 200 % is 1280×800: the window's least width must fit in it."""
    assert window.minimumSizeHint().width() <= 1280


def test_every_tool_name_is_shown_in_full(window):
    names = window.map.panel.names
    metrics = names.fontMetrics()
    for i in range(names.count()):
        item = names.item(i)
        assert names.visualItemRect(item).width() >= metrics.horizontalAdvance(item.text()), item.text()
