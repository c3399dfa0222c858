"""SteadyTabWidget: a page's own layout changes repaint what changed, not the whole tab widget;
what the tab widget lays out (its size, tabs, minimum size) still goes through Qt."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tests.support.gui import PaintCounter
from wsconsole.ui.steady_tabs import SteadyTabWidget

WAIT_MS = 5_000


def _window_with(qtbot, tabs: QTabWidget) -> tuple[QMainWindow, QLabel]:
    window = QMainWindow()
    qtbot.addWidget(window)
    page = QWidget()
    layout = QVBoxLayout(page)
    label = QLabel("text, 23 B")
    layout.addWidget(label)
    editor = QPlainTextEdit()
    editor.setMinimumWidth(300)  # the page's minimum, as in the window: the label's text does not set it
    layout.addWidget(editor)
    tabs.addTab(page, "first")
    window.setCentralWidget(tabs)
    window.resize(600, 400)
    window.show()
    qtbot.waitExposed(window)
    return window, label


def _settled(qtbot) -> None:
    """Lets posted layout requests, the main window's 0 ms geometry animations and the repaints run."""
    timer = QTimer(singleShot=True, interval=100)
    with qtbot.waitSignal(timer.timeout, timeout=WAIT_MS):
        timer.start()


@pytest.mark.parametrize("steady", [True, False], ids=["steady", "qt"])
def test_a_label_changing_in_a_page_repaints_the_whole_tab_widget_only_in_qts_own(qtbot, steady) -> None:
    # The Qt behaviour worked around (QTabWidget::setUpLayout() ends with update()): if the "qt"
    # case ever fails, Qt stopped doing it and SteadyTabWidget can go.
    tabs = SteadyTabWidget() if steady else QTabWidget()
    _window, label = _window_with(qtbot, tabs)
    _settled(qtbot)
    counter = PaintCounter(tabs, label)
    label.setText("text, 0 B")
    qtbot.waitUntil(lambda: counter.paints[label] > 0, timeout=WAIT_MS)
    _settled(qtbot)
    # The label is not opaque: the tab widget paints behind it, only there when steady.
    assert counter.paints[tabs] > 0
    label_area = label.width() * label.height()
    assert (counter.largest[tabs] <= label_area) is steady


def test_what_the_tab_widget_lays_out_still_goes_through_qt(qtbot) -> None:
    tabs = SteadyTabWidget()
    window, label = _window_with(qtbot, tabs)
    _settled(qtbot)
    passes = tabs.layout_passes
    label.setText("text, 1,024 B")
    _settled(qtbot)
    assert tabs.layout_passes == passes

    # A page that needs more room: the window grows to its new minimum.
    label.setMinimumSize(900, 600)
    qtbot.waitUntil(lambda: window.width() >= 900 and window.height() >= 600, timeout=WAIT_MS)
    assert tabs.layout_passes > passes

    # A longer tab title: the bar is laid out again.
    width = tabs.tabBar().width()
    tabs.setTabText(0, "a much longer title for the first tab")
    qtbot.waitUntil(lambda: tabs.tabBar().width() > width, timeout=WAIT_MS)

    # A new page is placed where the first one is.
    second = QLabel("second")
    tabs.addTab(second, "second")
    tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: second.isVisible() and second.geometry() == tabs.widget(0).geometry(), timeout=WAIT_MS)


def test_typing_in_the_composer_repaints_neither_the_window_nor_the_log(qtbot, window) -> None:
    # Each keystroke changes the composer's hint ("text, 5 B"); a whole-window repaint after each
    # was 10-13 ms of the GUI thread.
    tab = window.current_tab
    edit = window.findChild(QPlainTextEdit, "messageEdit")
    # Not the URL field, which has the focus: its cursor blinks.
    button, log_view = window.findChild(QPushButton, "connectButton"), window.log_view
    qtbot.waitExposed(window)
    _settled(qtbot)
    counter = PaintCounter(button, log_view.viewport(), tab.composer.hint_label)
    for text in ("h", "he", "hel", "hello"):
        edit.setPlainText(text)
        qtbot.waitUntil(lambda text=text: tab.composer.hint_label.text().endswith(f"{len(text)} B"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: counter.paints[tab.composer.hint_label] > 0, timeout=WAIT_MS)
    _settled(qtbot)
    assert counter.paints[button] == 0
    assert counter.paints[log_view.viewport()] == 0
