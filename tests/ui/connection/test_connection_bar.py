"""The connection bar's layout: the URL field gets the room, at the window's default size too."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

from wsconsole.client.events import ReadyState
from wsconsole.ui.connection.bar import URL_MIN_SHARE, ConnectionBar

WAIT_MS = 10000


def share(bar: ConnectionBar) -> float:
    return bar.findChild(QLineEdit, "urlEdit").width() / bar.width()


def laid_out(bar: ConnectionBar) -> bool:
    """Redoes the bar's pending layout, then says whether the shown widgets tile its width exactly,
    left to right (a resize of the window reaches the bar on a later pass of the event loop)."""
    QApplication.sendPostedEvents()  # a label's new text, a widget shown or hidden: layout requests
    bar.layout().activate()
    row = bar.layout().itemAt(0).layout()
    shown = [row.itemAt(i).widget() for i in range(row.count())]
    shown = [widget for widget in shown if widget is not None and not widget.isHidden()]
    edges = [(widget.x(), widget.x() + widget.width()) for widget in shown]
    return (
        edges[0][0] == 0
        and edges[-1][1] == bar.width()
        and all(right + row.spacing() == left for (_, right), (left, _) in zip(edges, edges[1:]))
    )


def test_the_url_field_gets_a_fair_share_of_the_bar_beside_the_server_dock(qtbot, window) -> None:
    # The window's default size with the server dock open: the narrowest the bar usually gets.
    window.resize(1280, 800)
    window.server_dock.show()
    qtbot.waitUntil(lambda: window.width() == 1280 and window.server_dock.isVisible(), timeout=WAIT_MS)
    bar = window.connection_bar
    bar.set_state(ReadyState.OPEN, 1_700_000_000.0)
    qtbot.waitUntil(lambda: laid_out(bar), timeout=WAIT_MS)
    assert share(bar) >= URL_MIN_SHARE, (bar.width(), bar.url_edit.width())

    # The INSECURE badge is loud, and still leaves the URL readable.
    window.options_form.insecure_check.setChecked(True)
    badge = window.findChild(QLabel, "insecureBadge")
    qtbot.waitUntil(lambda: badge.isVisible() and laid_out(bar), timeout=WAIT_MS)
    assert share(bar) >= 0.25, (bar.width(), bar.url_edit.width())


def test_the_since_time_shows_at_1280_and_1400_beside_the_server_dock(qtbot, window) -> None:
    window.server_dock.show()
    bar = window.connection_bar
    bar.set_state(ReadyState.OPEN, 1_700_000_000.0)
    since = bar.findChild(QLabel, "stateSinceLabel")
    for width in (1280, 1400):
        window.resize(width, 800)
        qtbot.waitUntil(lambda w=width: window.width() == w and window.server_dock.isVisible(), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: since.isVisible() and laid_out(bar), timeout=WAIT_MS)
        assert since.geometry().right() <= bar.width()
        assert share(bar) >= URL_MIN_SHARE, (width, bar.width(), bar.url_edit.width())


def test_the_since_time_gives_way_to_the_url_on_a_narrow_bar(qtbot) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    bar = ConnectionBar(holder)
    holder.show()
    bar.set_state(ReadyState.OPEN, 1_700_000_000.0)
    since = bar.findChild(QLabel, "stateSinceLabel")
    assert since.text().startswith("since ")

    bar.resize(1400, bar.sizeHint().height())
    qtbot.waitUntil(lambda: since.isVisible() and laid_out(bar), timeout=WAIT_MS)
    assert share(bar) >= URL_MIN_SHARE

    bar.resize(620, bar.sizeHint().height())
    qtbot.waitUntil(lambda: not since.isVisible() and laid_out(bar), timeout=WAIT_MS)
    # The time is still there, on the state badge.
    assert since.text() in bar.findChild(QLabel, "readyStateLabel").toolTip()
    assert share(bar) >= URL_MIN_SHARE

    bar.resize(1400, bar.sizeHint().height())
    qtbot.waitUntil(lambda: since.isVisible() and laid_out(bar), timeout=WAIT_MS)
