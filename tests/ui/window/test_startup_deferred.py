"""The window's fast start (issue 6, start-up): with ``finish_after_first_paint`` (what
``start_gui`` uses) the embedded server listens before the window shows and serves just after
its first paint; a client that connected in between is served then."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import shiboken6
from PySide6.QtWidgets import QComboBox, QDockWidget, QLabel, QLineEdit, QSplitter, QWidget
from websockets.sync.client import connect

from wsconsole.client.options import ConnectOptions
from wsconsole.ui.window.main_window import MainWindow

WAIT_MS = 10_000
WAIT_S = WAIT_MS / 1000


class EarlyClient:
    """A websockets client, on a thread of its own, that connects at once and has ``text`` echoed.

    For a server that only listens yet: the client waits in the backlog until it serves.
    ``result`` ends as ``{"echo": ...}`` or ``{"error": exception}``.
    """

    def __init__(self, url: str, text: str) -> None:
        self.result: dict[str, object] = {}
        self._thread = threading.Thread(target=self._run, args=(url, text), name="test-early-client")
        self._thread.start()

    def _run(self, url: str, text: str) -> None:
        try:
            with connect(url, open_timeout=WAIT_S) as ws:
                ws.send(text)
                self.result["echo"] = ws.recv(timeout=WAIT_S)
        except Exception as exc:  # noqa: BLE001 - reported through result
            self.result["error"] = exc

    @property
    def is_done(self) -> bool:
        return not self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(WAIT_S)



def test_the_server_listens_before_the_show_and_serves_a_waiting_client_after_the_first_paint(qtbot):
    win = MainWindow(server_port=0, finish_after_first_paint=True)
    qtbot.addWidget(win)
    driver = win.server_driver
    client = None
    try:
        # Before the event loop has run: listening (the URL is right everywhere), not serving.
        assert driver.is_running and not driver.is_serving
        assert not win.is_start_finished
        assert driver.port != 0
        assert win.findChild(QLineEdit, "urlEdit").text() == driver.url == f"ws://127.0.0.1:{driver.port}/"
        client = EarlyClient(driver.url, "before the paint")
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            win.show()
        assert win.is_start_finished and driver.is_serving
        qtbot.waitUntil(lambda: client.is_done, timeout=WAIT_MS)
        assert client.result == {"echo": "before the paint"}
    finally:
        win.close()
        if client is not None:
            client.join()
    assert not driver.is_running


def test_a_window_never_shown_finishes_its_start_when_the_event_loop_runs(qtbot):
    win = MainWindow(server_port=0, finish_after_first_paint=True)
    qtbot.addWidget(win)
    try:
        assert not win.server_driver.is_serving
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            pass
        assert win.server_driver.is_serving
        with connect(win.server_driver.url, open_timeout=WAIT_S) as ws:
            ws.send("hidden")
            assert ws.recv(timeout=WAIT_S) == "hidden"
    finally:
        win.close()


def test_without_the_option_everything_is_done_in_the_constructor(qtbot):
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    try:
        assert win.is_start_finished and win.server_driver.is_serving
    finally:
        win.close()


def test_a_taken_port_falls_back_to_a_free_one_before_the_show(qtbot):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        win = MainWindow(server_port=taken, finish_after_first_paint=True)
        qtbot.addWidget(win)
        try:
            assert win.server_driver.is_running
            assert win.server_driver.port not in (0, taken)
            with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
                win.show()
        finally:
            win.close()


def test_the_closed_docks_make_their_contents_when_first_shown_and_they_are_found_by_name(qtbot):
    win = MainWindow(server_port=0, finish_after_first_paint=True)
    qtbot.addWidget(win)
    try:
        # The docks themselves (their View actions and status bar buttons) are there from the
        # start; what they hold is not, and the start's end does not make it either.
        for name in ("serverDock", "optionsDock", "sequencesDock", "messageLibraryDock"):
            assert win.findChild(QDockWidget, name) is not None, name
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            win.show()
        for name in ("connectOptionsForm", "sequencePanel", "messageLibrary", "serverModeCombo",
                     "serverClientDetails"):
            assert win.findChild(QWidget, name) is None, name
        tab = win.current_tab
        # Each is made when its dock is first shown, as the user opens it.
        win.options_dock.toggleViewAction().trigger()
        qtbot.waitUntil(lambda: win.options_dock.isVisible(), timeout=WAIT_MS)
        assert win.findChild(QWidget, "connectOptionsForm") is tab.options_form
        assert win.options_stack.currentWidget() is tab.options_form
        assert win.findChild(QWidget, "sequencePanel") is None  # its dock is still closed
        win.sequences_dock.toggleViewAction().trigger()
        qtbot.waitUntil(lambda: win.sequences_dock.isVisible(), timeout=WAIT_MS)
        assert win.findChild(QWidget, "sequencePanel") is tab.sequence_panel
        assert win.sequences_stack.currentWidget() is tab.sequence_panel
        win.composer_extras.toggle_action.trigger()
        qtbot.waitUntil(lambda: win.composer_extras.dock.isVisible(), timeout=WAIT_MS)
        library = win.findChild(QWidget, "messageLibrary")
        assert library is not None and library is win.composer_extras.panel
        assert win.findChild(QDockWidget, "messageLibraryDock").widget() is library
        # A tab added while the docks are open gets its own parts at once.
        win.options_dock.raise_()
        second = win.new_tab()
        assert win.options_stack.currentWidget() is second.options_form
        assert win.options_stack.count() == 2
        # The form made late is wired as before: "don't verify" shows the bar's badge.
        win.tabs.setCurrentIndex(0)
        tab.options_form.set_options(ConnectOptions(insecure=True))
        assert tab.connection_bar.findChild(QLabel, "insecureBadge").isVisible()
        # The server's settings pages wait for their tab (see the test below).
        assert win.findChild(QComboBox, "serverModeCombo") is None
    finally:
        win.close()


def test_a_server_clients_log_and_details_are_made_once_its_page_is_seen(qtbot):
    from wsconsole.ui.server.clients import ClientPage

    page = ClientPage()
    qtbot.addWidget(page)
    page.log_pane.show_log(1)  # a client connected while the server's dock is closed
    assert page.findChild(QWidget, "serverClientDetails") is None
    assert page.findChild(QWidget, "serverClientLog") is None
    page.show()
    qtbot.waitUntil(lambda: page.findChild(QWidget, "serverClientLog") is not None, timeout=WAIT_MS)
    assert page.findChild(QWidget, "serverClientDetails") is page.log_pane.details
    assert page.log_pane.details.parentWidget() is page.findChild(QSplitter, "serverClientLogSplitter")
    assert page.log_pane.pane.view is page.findChild(QWidget, "serverClientLog")


def test_options_asked_for_before_the_finish_are_made_on_the_spot(qtbot):
    win = MainWindow(server_port=0, finish_after_first_paint=True)
    qtbot.addWidget(win)
    try:
        form = win.options_form
        assert form is win.current_tab.options_form
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            pass
        assert win.options_stack.currentWidget() is form
    finally:
        win.close()


def test_the_recent_urls_arrow_gets_the_style_icon_when_it_first_shows(qtbot):
    win = MainWindow(server_port=0)
    qtbot.addWidget(win)
    try:
        action = win.connection_bar.recent_action
        assert not action.isVisible()  # no recent URL yet (its icon is asked of the style then)
        win.add_recent_url(win.server_driver.url)
        assert action.isVisible()
        assert not action.icon().isNull()
    finally:
        win.close()


def test_the_server_settings_pages_are_made_when_their_tab_is_first_chosen(qtbot):
    from wsconsole.server.config import ServerConfig
    from wsconsole.ui.server.panel import ServerPanel

    panel = ServerPanel()
    qtbot.addWidget(panel)
    assert panel.findChild(QComboBox, "serverModeCombo") is None
    assert panel.settings() == ServerConfig()  # nothing shown, nothing edited
    panel.tabs.setCurrentIndex(2)  # Faults
    assert panel.findChild(QComboBox, "serverModeCombo") is panel.mode_page.mode_combo
    assert panel.tabs.widget(1).widget() is panel.mode_page


def test_a_window_deleted_before_the_event_loop_runs_leaves_no_call_behind(qtbot):
    win = MainWindow(server_port=0, finish_after_first_paint=True)
    driver = win.server_driver
    win.close()  # stops the server that only listened
    assert not driver.is_running
    shiboken6.delete(win)
    qtbot.wait(50)  # the event loop's turns where the start would have finished: nothing runs
    assert not driver.is_running


# -- build_after_first_paint: what start_gui uses ------------------------------------------


def test_the_frame_shows_first_and_the_contents_follow_the_first_paint(qtbot, contract_names):
    win = MainWindow(server_port=0, build_after_first_paint=True)
    qtbot.addWidget(win)
    driver = win.server_driver
    client = None
    try:
        # Before the event loop has run: the server listens and the frame says where.
        assert driver.is_running and not driver.is_serving and driver.port != 0
        assert not win.is_built and not win.is_start_finished
        skeleton = win.findChild(QWidget, "startingSkeleton")
        assert skeleton is win.centralWidget()
        assert skeleton.accessibleName() == "Starting wsconsole…"
        assert skeleton.accessibleDescription() == f"Echo server listening on {driver.url}"
        assert driver.url in skeleton.toolTip()
        assert win.findChild(QLineEdit, "urlEdit") is None
        client = EarlyClient(driver.url, "before the contents")
        # The server serves once the built window is painted: its thread's imports would
        # slow the build down (one GIL), and the waiting client is answered no later.
        while_building = []
        win.frame_painted.connect(lambda: while_building.append(driver.is_serving))
        built_painted = []
        win.start_finished.connect(lambda: built_painted.append((win.is_built, driver.is_serving)))
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            win.show()
        assert while_building == [False]
        assert built_painted == [(True, True)]
        assert win.is_built and driver.is_serving
        assert win.findChild(QWidget, "startingSkeleton") is None  # replaced, not hidden behind
        tab_names, window_names = contract_names
        for cls, name in tab_names + window_names:
            assert win.findChild(cls, name) is not None, name
        assert win.findChild(QLineEdit, "urlEdit").text() == driver.url
        assert win.findChild(QLabel, "serverUrlLabel").text() == driver.url
        qtbot.waitUntil(lambda: client.is_done, timeout=WAIT_MS)
        assert client.result == {"echo": "before the contents"}
    finally:
        win.close()
        if client is not None:
            client.join()
    assert not driver.is_running


CONTENTS_PAINTED_AT_FINISH = """
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from wsconsole.ui.window.app import start_gui

class LogPainted(QObject):
    # On the application, from before the window exists: no paint of the log escapes it.
    painted = False
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and watched.objectName() == "messageLog":
            LogPainted.painted = True
        return False

app = QApplication([])
seen = LogPainted()
app.installEventFilter(seen)
app, win = start_gui(server_port=0)
def finished():
    print("AT FINISH", LogPainted.painted, win.server_driver.is_serving, flush=True)
    app.removeEventFilter(seen)
    app.quit()
win.start_finished.connect(finished)
QTimer.singleShot(20_000, app.quit)
app.exec()
win.close()
win.server_driver.stop()
"""


def test_the_start_finishes_after_the_contents_are_painted_not_just_the_window(tmp_path):
    # Widgets added to a shown window are shown a turn later unless shown at once, and a
    # paint of the window in between is of its background alone: the start must not take
    # that one for the built window's, nor serve before the log is on screen.  Such a paint
    # comes when the window restores the layout its last run saved: the real start, twice,
    # each in a process of its own.
    env = dict(os.environ, WSCONSOLE_CONFIG_DIR=str(tmp_path / "config"), WSCONSOLE_DATA_DIR=str(tmp_path / "data"))
    said = []
    for _run in ("first, saving its layout", "second, restoring it"):
        result = subprocess.run(
            [sys.executable, "-c", CONTENTS_PAINTED_AT_FINISH], capture_output=True, text=True, timeout=45,
            env=env, check=False,
        )
        assert result.returncode == 0, result.stderr
        said += [line for line in result.stdout.splitlines() if line.startswith("AT FINISH")]
    assert said == ["AT FINISH True True"] * 2


def test_a_url_given_to_a_window_built_after_its_first_paint_is_connected_once_built(qtbot):
    from wsconsole.client.events import ReadyState
    from wsconsole.server.echo import EchoServer
    from wsconsole.session.entries import Direction

    other = EchoServer(port=0)
    other.start()
    win = None
    try:
        win = MainWindow(other.url, server_port=0, build_after_first_paint=True)
        qtbot.addWidget(win)
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            win.show()
        assert win.connection_bar.url == other.url
        qtbot.waitUntil(lambda: win.driver.ready_state == ReadyState.OPEN, timeout=WAIT_MS)
        win.send("after the build")
        echoed = (Direction.RECEIVED, "after the build")
        qtbot.waitUntil(lambda: echoed in [(e.direction, e.data) for e in win.log.entries], timeout=WAIT_MS)
    finally:
        if win is not None:
            win.close()
        other.stop()


def test_a_window_closed_before_its_first_paint_builds_nothing(qtbot):
    win = MainWindow(server_port=0, build_after_first_paint=True)
    qtbot.addWidget(win)
    driver = win.server_driver
    win.show()
    win.close()  # before the event loop ran: no paint yet
    assert not driver.is_running
    qtbot.wait(50)  # the turns where the build would have run: nothing is built
    assert not win.is_built and not win.is_start_finished
    assert win.findChild(QLineEdit, "urlEdit") is None
    assert not driver.is_running


def test_a_build_that_fails_says_so_in_the_window_and_the_window_still_closes(qtbot, monkeypatch, capsys):
    def broken(self, *args):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(MainWindow, "_build", broken)
    win = MainWindow(server_port=0, build_after_first_paint=True)
    qtbot.addWidget(win)
    driver = win.server_driver
    client = EarlyClient(driver.url, "to a window that failed")
    try:
        win.show()
        qtbot.waitUntil(lambda: win.findChild(QLabel, "startFailedLabel") is not None, timeout=WAIT_MS)
        text = win.findChild(QLabel, "startFailedLabel").text()
        assert "could not build its window" in text and "RuntimeError: the disk is on fire" in text
        assert "the disk is on fire" in capsys.readouterr().err  # the traceback, for a bug report
        assert not win.is_built
        # The server still serves: a client that connected meanwhile is not left hanging.
        qtbot.waitUntil(lambda: client.is_done, timeout=WAIT_MS)
        assert client.result == {"echo": "to a window that failed"}
    finally:
        win.close()
        client.join()
    assert not driver.is_running


def test_start_gui_gives_the_application_its_icon_once_the_frame_is_painted(qtbot, qapp):
    from PySide6.QtGui import QIcon

    from wsconsole.ui.window.app import start_gui

    qapp.setWindowIcon(QIcon())  # whatever an earlier test set
    app, win = start_gui(server_port=0)
    qtbot.addWidget(win)
    try:
        assert app is qapp and app.windowIcon().isNull()  # not before the first paint
        with qtbot.waitSignal(win.start_finished, timeout=WAIT_MS):
            pass
        assert not app.windowIcon().isNull()
        assert app.windowIcon().availableSizes() or not app.windowIcon().pixmap(32, 32).isNull()
    finally:
        win.close()


def test_the_skeleton_draws_blocks_where_the_parts_will_be(qtbot):
    win = MainWindow(server_port=0, build_after_first_paint=True)
    qtbot.addWidget(win)
    try:
        skeleton = win.findChild(QWidget, "startingSkeleton")
        skeleton.resize(1280, 760)
        image = skeleton.grab().toImage()
        background = image.pixelColor(2, 2)  # a margin: no block there
        # The log's block (left, a third of the way down) and the server events' block (right, low).
        for x, y in ((300, 300), (1000, 650)):
            assert image.pixelColor(x, y) != background, (x, y)
        assert image.pixelColor(745, 300) == background  # the gap between the two panes
    finally:
        win.close()
