"""The Tools panel at the window's default size: every tool's name in view at once (no scrolling,
no hidden tab), and a line saying what the chosen tool does."""

from __future__ import annotations

from PySide6.QtCore import Qt

# The README's list of tools, in its order. Its "Prior & epochs" is two entries of the panel,
# "Prior holes" and "Epochs"; "Latent health" is listed by the panel but not by the README.
README_TOOLS = ("Point", "Interpolate", "Traverse", "Grid", "Direction", "Class samples", "Worst", "Selection", "Draw")
PRIOR_AND_EPOCHS = ("Prior holes", "Epochs")


def test_every_tool_is_listed_in_view_at_the_default_size_with_its_hint_when_chosen(window, qtbot):
    panel = window.map.panel
    assert (window.width(), window.height()) == (1400, 900)  # the size a new window opens at
    names = [panel.tool_name(i) for i in range(panel.count())]
    assert set(README_TOOLS + PRIOR_AND_EPOCHS) <= set(names)
    order = [n for n in names if n in README_TOOLS]
    assert order == list(README_TOOLS)
    view = panel.names
    assert view.verticalScrollBar().maximum() == 0 and view.horizontalScrollBar().maximum() == 0
    pages = {id(getattr(t, "page", None) or t.panel): t for t in window.map.tools.values()}
    hints = set()
    for i, name in enumerate(names):
        rect = view.visualItemRect(view.item(i))
        assert view.viewport().rect().contains(rect), f"{name!r} is not in view"
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert panel.currentIndex() == i and panel.currentWidget() is panel.widget(i)
        tool = pages[id(panel.widget(i))]
        hint = panel.hint.text()
        assert hint == tool.hint and panel.hint.isVisible(), name
        assert hint and "\n" not in hint  # one line saying what the tool does
        hints.add(hint)
    assert len(hints) == len(names)  # each tool its own line
