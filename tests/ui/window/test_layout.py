"""The window's layout: the log is the largest thing on screen, it fits a laptop, it is remembered,
and View > Reset layout brings the default back.  Each test has its own ``ui.ini`` (config_dir)."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QLineEdit, QScrollArea, QTableView, QToolButton

from wsconsole.client.events import ReadyState
from wsconsole.ui.connection.bar import URL_MIN_SHARE
from wsconsole.ui.window.layout import DEFAULT_SIZE, LOG_ROOM_PX, STATE_KEY
from wsconsole.ui.window.main_window import MainWindow
from wsconsole.ui.window.settings import UI_SETTINGS_FILE

WAIT_MS = 10_000
SIDE_DOCKS = ("serverDock", "optionsDock", "sequencesDock", "messageLibraryDock")


def docks(window: MainWindow) -> dict[str, QDockWidget]:
    return {name: window.findChild(QDockWidget, name) for name in SIDE_DOCKS}


def settled(qtbot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (width, height), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.log_view.viewport().height() > 0, timeout=WAIT_MS)


def test_the_side_docks_start_tabbed_and_closed_and_the_contract_widgets_are_live(
    qtbot, window, contract_names
) -> None:
    found = docks(window)
    assert all(not dock.isVisible() for dock in found.values())
    assert all(window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea for dock in found.values())
    in_tab, in_window = contract_names
    for cls, name in in_tab + in_window:
        assert window.findChild(cls, name) is not None, name
    # The server's widgets work while their dock is closed.
    assert window.findChild(QLabel, "serverUrlLabel").text()
    assert window.findChild(QTableView, "serverClientsView").model() is window.server_panel.clients_model
    # Opened from the status bar, the server's dock comes up in front of its tabs.
    button = window.findChild(QToolButton, "serverDockButton")
    button.click()
    qtbot.waitUntil(lambda: found["serverDock"].isVisible(), timeout=WAIT_MS)
    assert button.isChecked()
    found["optionsDock"].show()
    qtbot.waitUntil(lambda: not found["optionsDock"].isHidden(), timeout=WAIT_MS)
    # Tabbed together: opening two shows them as tabs of one area, not side by side.
    assert found["optionsDock"] in window.tabifiedDockWidgets(found["serverDock"])
    for name in SIDE_DOCKS[2:]:
        found[name].show()
    qtbot.waitUntil(lambda: all(not dock.isHidden() for dock in found.values()), timeout=WAIT_MS)
    assert set(window.tabifiedDockWidgets(found["serverDock"])) == {found[name] for name in SIDE_DOCKS[1:]}
    found["optionsDock"].raise_()
    button.click()  # behind the options' tab: brought to the front, not closed
    qtbot.waitUntil(lambda: not found["serverDock"].visibleRegion().isEmpty(), timeout=WAIT_MS)
    assert not found["serverDock"].isHidden()
    button.click()
    qtbot.waitUntil(lambda: found["serverDock"].isHidden(), timeout=WAIT_MS)
    assert not button.isChecked()


def test_the_default_layout_fits_1000x600(qtbot, window) -> None:
    hint = window.minimumSizeHint()
    assert hint.width() <= 1000 and hint.height() <= 600, hint
    window.resize(400, 300)  # the real minimum, after show
    qtbot.waitUntil(lambda: window.width() < 1000, timeout=WAIT_MS)
    assert window.width() <= 1000 and window.height() <= 600, window.size()


def test_at_1280x800_the_log_gets_most_of_the_height(qtbot, window) -> None:
    settled(qtbot, window, 1280, 800)
    log = window.log_view
    details = window.details_tabs
    heights = {
        "log": log.height(),
        "details": details.height(),
        "composer": window.composer.height(),
        "bar": window.connection_bar.height(),
    }
    # The largest part of the window by far, the full width; with its filter bar and footer
    # (the log pane) over 40 % of the window's height (it had 150 px, 19 %).
    assert log.height() == max(heights.values()) and log.height() >= 2 * details.height(), heights
    assert window.current_tab.log_pane.height() >= 0.4 * window.height(), heights
    assert log.height() >= 0.35 * window.height(), heights
    assert log.width() >= 0.95 * window.width()
    # The details pane keeps a usable height: its header line and several lines of text.
    assert details.height() >= 140, heights
    rows = log.viewport().height() // log.verticalHeader().defaultSectionSize()
    assert rows >= 13, rows


def test_at_1024x640_the_url_field_does_not_scroll_and_the_log_shows_rows(qtbot, window) -> None:
    settled(qtbot, window, 1024, 640)
    bar = window.connection_bar
    url_edit = bar.findChild(QLineEdit, "urlEdit")
    qtbot.waitUntil(lambda: url_edit.width() > 0, timeout=WAIT_MS)
    # Every widget of the bar inside it: nothing pushed past the edge.
    assert bar.width() <= window.width()
    assert url_edit.geometry().right() < bar.connect_button.geometry().left()
    assert bar.ping_button.geometry().right() <= bar.width()
    assert url_edit.width() >= 0.4 * bar.width()
    # The charts, opened, keep their legends in their own height.
    panel = window.current_tab.traffic_panel
    panel.set_expanded(True)
    qtbot.waitUntil(lambda: panel.charts.isVisible(), timeout=WAIT_MS)
    for chart in (panel.packet_chart, panel.byte_chart):
        assert chart.height() >= chart.minimumSizeHint().height()
    panel.set_expanded(False)
    log = window.log_view
    qtbot.waitUntil(lambda: log.viewport().height() // log.verticalHeader().defaultSectionSize() >= 7, timeout=WAIT_MS)
    assert window.composer.message_edit.maximumHeight() < window.composer.message_edit.fontMetrics().lineSpacing() * 3


def test_at_1024x640_an_opened_dock_fits_beside_the_log(qtbot, window, echo_row) -> None:
    settled(qtbot, window, 1024, 640)
    row = echo_row(window, "x" * 40_000)  # a long header line in the details: "40,000 bytes (39.1 KiB)"
    # Through the selection model: selectRow reads the keyboard's modifiers, which an earlier
    # test's key clicks can leave looking held on the offscreen platform.
    index = window.log_model.index(row, 0)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    window.log_view.selectionModel().setCurrentIndex(index, flags)
    qtbot.waitUntil(lambda: "40,000 bytes" in window.current_tab.details.header_label.toolTip(), timeout=WAIT_MS)
    window.server_dock.show()
    qtbot.waitUntil(lambda: window.server_dock.isVisible() and window.server_dock.width() > 0, timeout=WAIT_MS)
    # The window stays on a 1024 px screen: the dock gives way (its panel scrolls sideways),
    # and the log's side keeps a usable URL field.
    assert window.minimumSizeHint().width() <= 1024, window.minimumSizeHint()
    qtbot.waitUntil(lambda: window.width() == 1024, timeout=WAIT_MS)
    central = window.centralWidget()
    qtbot.waitUntil(lambda: central.width() >= 600, timeout=WAIT_MS)
    dock = window.server_dock
    assert dock.width() >= 300
    # Opened on a narrow window, the dock leaves the log its room rather than the log's minimum.
    qtbot.waitUntil(lambda: dock.width() <= max(dock.minimumWidth(), window.width() - LOG_ROOM_PX) + 8, timeout=WAIT_MS)
    bar = window.connection_bar
    qtbot.waitUntil(lambda: bar.url_edit.width() >= URL_MIN_SHARE * bar.width(), timeout=WAIT_MS)
    assert bar.url_edit.fontMetrics().horizontalAdvance(bar.url_edit.text()) < bar.url_edit.width()
    scroll = window.server_dock.widget()
    assert isinstance(scroll, QScrollArea) and scroll.widget() is window.server_panel
    # At the default size (Reset layout) the dock opens wide enough for the panel, without a
    # sideways scroll.
    window.findChild(QAction, "resetLayoutAction").trigger()
    qtbot.waitUntil(lambda: (window.width(), window.height()) == DEFAULT_SIZE, timeout=WAIT_MS)
    window.server_dock.show()
    qtbot.waitUntil(lambda: window.server_dock.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: scroll.viewport().width() >= window.server_panel.minimumSizeHint().width(), timeout=WAIT_MS)
    assert central.width() >= 0.55 * window.width()


def test_the_layout_is_remembered_and_reset(qtbot, config_dir) -> None:
    first = MainWindow(server_port=0)
    qtbot.addWidget(first)
    first.show()
    # Within the offscreen platform's 800x600 screen: restoreGeometry keeps a window on its screen.
    first.resize(780, 590)
    qtbot.waitUntil(lambda: first.width() == 780, timeout=WAIT_MS)
    first.options_dock.show()
    splitter = first.current_tab.log_splitter
    log_px, details_px = splitter.sizes()
    splitter.setSizes([log_px - 80, details_px + 80])
    wanted_split = splitter.sizes()
    first.close()
    settings = QSettings(str(config_dir / UI_SETTINGS_FILE), QSettings.Format.IniFormat)
    assert settings.value(STATE_KEY) is not None

    second = MainWindow(server_port=0)
    qtbot.addWidget(second)
    second.show()
    try:
        qtbot.waitUntil(lambda: second.options_dock.isVisible(), timeout=WAIT_MS)
        assert (second.width(), second.height()) == (780, 590)
        assert not second.server_dock.isVisible()
        qtbot.waitUntil(lambda: second.current_tab.log_splitter.sizes() == wanted_split, timeout=WAIT_MS)
        second.findChild(QAction, "resetLayoutAction").trigger()
        assert all(not dock.isVisible() for dock in docks(second).values())
        qtbot.waitUntil(lambda: (second.width(), second.height()) == DEFAULT_SIZE, timeout=WAIT_MS)
        assert second.current_tab.log_splitter.sizes()[1] < wanted_split[1]
    finally:
        second.close()
    # Reset is what the next start gets too.
    assert QSettings(str(config_dir / UI_SETTINGS_FILE), QSettings.Format.IniFormat).value(STATE_KEY) is not None
    third = MainWindow(server_port=0)
    qtbot.addWidget(third)
    third.show()
    try:
        assert all(not dock.isVisible() for dock in docks(third).values())
    finally:
        third.close()


def test_the_log_keeps_the_newest_entry_in_sight_when_it_shrinks(qtbot, window, echo_row) -> None:
    for number in range(60):
        echo_row(window, f"packet {number}")
    view = window.log_view
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=WAIT_MS)
    last = window.log_model.rowCount() - 1

    def last_row_in_sight() -> bool:
        rect = view.visualRect(window.log_model.index(last, 0))
        return rect.isValid() and rect.bottom() <= view.viewport().height() and rect.top() >= 0

    assert last_row_in_sight()
    # The log/details split moves up: the view shrinks by half.
    splitter = window.current_tab.log_splitter
    log_px, details_px = splitter.sizes()
    splitter.setSizes([log_px // 2, details_px + log_px - log_px // 2])
    qtbot.waitUntil(lambda: view.height() < log_px * 0.75, timeout=WAIT_MS)
    qtbot.waitUntil(last_row_in_sight, timeout=WAIT_MS)
    # A line shown under the close panel (the last close) shrinks it too.
    window.close_connection(1000, "")
    qtbot.waitUntil(lambda: window.driver.ready_state == ReadyState.CLOSED, timeout=WAIT_MS)
    last = window.log_model.rowCount() - 1
    qtbot.waitUntil(last_row_in_sight, timeout=WAIT_MS)
    # Paused, it stays where it is.
    window.current_tab.log_pane.set_paused(True)
    bar.setValue(0)
    splitter.setSizes([log_px // 3, details_px + log_px - log_px // 3])
    qtbot.waitUntil(lambda: view.height() < log_px * 0.5, timeout=WAIT_MS)
    assert bar.value() == 0


def test_the_default_size_fits_a_small_screens_work_area_with_its_title_bar(qtbot, window) -> None:
    """A 1280x800 window on a 1280x800 laptop (or a 1366x768 one under its taskbar) had its
    status bar and close panel under the screen's edge."""
    from PySide6.QtCore import QRect, QSize

    from wsconsole.ui.window.layout import FRAME_ALLOWANCE_PX, default_size, fitted_size

    minimum = window.minimumSizeHint()
    assert fitted_size(QRect(0, 0, 1920, 1040), minimum) == QSize(*DEFAULT_SIZE)  # room: unchanged
    laptop = fitted_size(QRect(0, 0, 1280, 800), minimum)
    assert laptop.height() + FRAME_ALLOWANCE_PX[1] <= 800 and laptop.width() + FRAME_ALLOWANCE_PX[0] <= 1280
    under_taskbar = fitted_size(QRect(0, 0, 1366, 728), minimum)
    assert under_taskbar == QSize(DEFAULT_SIZE[0], 728 - FRAME_ALLOWANCE_PX[1])
    netbook = fitted_size(QRect(0, 0, 1024, 576), minimum)  # smaller than the window can be: its minimum
    assert netbook.width() == 1024 - FRAME_ALLOWANCE_PX[0] and netbook.height() == minimum.height()
    window.resize(laptop)
    qtbot.waitUntil(lambda: window.size() == laptop)
    assert window.statusBar().isVisible() and window.findChild(QLabel, "closeStatusLabel").isVisible()
    # offscreen's 800x800 screen is a placeholder: the window keeps the desktop's default there.
    assert default_size(window) == QSize(*DEFAULT_SIZE)


def test_a_docks_key_brings_it_up_as_its_button_does(qtbot, window) -> None:
    """Ctrl+Shift+O with the echo server's dock open opened the options behind the server's tab
    (a tab appeared, nothing else changed), and again closed them without their being seen."""
    found = docks(window)
    server, options = found["serverDock"], found["optionsDock"]
    window.activateWindow()

    def key(letter: Qt.Key) -> None:
        qtbot.keyClick(window, letter, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)

    key(Qt.Key.Key_E)
    qtbot.waitUntil(lambda: not server.visibleRegion().isEmpty(), timeout=WAIT_MS)
    key(Qt.Key.Key_O)  # opened in front of the server's tab
    qtbot.waitUntil(lambda: not options.visibleRegion().isEmpty(), timeout=WAIT_MS)
    assert server.visibleRegion().isEmpty() and not server.isHidden()
    key(Qt.Key.Key_E)  # open behind the options: brought to the front, not closed
    qtbot.waitUntil(lambda: not server.visibleRegion().isEmpty(), timeout=WAIT_MS)
    assert not options.isHidden() and server.toggleViewAction().isChecked()
    key(Qt.Key.Key_E)  # in view: closed
    qtbot.waitUntil(lambda: server.isHidden(), timeout=WAIT_MS)
    # The View menu's check still opens and closes, bringing up what it opens.
    options.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: options.isHidden(), timeout=WAIT_MS)
    options.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: not options.visibleRegion().isEmpty(), timeout=WAIT_MS)
