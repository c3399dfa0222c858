"""The log reads in the system's light and dark themes: its coloured columns keep a contrast of
at least 3:1 (WCAG's floor for bold or large text) against the view's background in either."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from wsconsole.ui.log.model import DIR_COLUMN, TYPE_COLUMN
from wsconsole.ui.window.main_window import MainWindow

WAIT_MS = 10_000

DARK = {
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e6e6e6",
}
"""A dark desktop theme's background and text roles (scripts/screenshot.py --dark sets more)."""


def luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(one: QColor, other: QColor) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture(params=["light", "dark"])
def themed(request, qapp):
    saved = qapp.palette()
    if request.param == "dark":
        palette = QPalette(saved)
        for role, colour in DARK.items():
            palette.setColor(role, QColor(colour))
        qapp.setPalette(palette)
    yield request.param
    qapp.setPalette(saved)


def test_the_log_colours_read_on_the_themes_background(qtbot, themed, echo_row) -> None:
    window = MainWindow(server_port=0)
    qtbot.addWidget(window)
    window.show()
    try:
        echo_row(window, "hello")
        window.close_connection(4000, "done")
        model = window.log_model

        def types() -> set:
            return {model.index(row, TYPE_COLUMN).data() for row in range(model.rowCount())}

        qtbot.waitUntil(lambda: {"text", "state", "close"} <= types(), timeout=WAIT_MS)
        background = window.log_view.palette().color(QPalette.ColorRole.Base)
        assert (background.lightness() < 128) == (themed == "dark")
        checked = 0
        for row in range(model.rowCount()):
            for column in (DIR_COLUMN, TYPE_COLUMN):
                colour = model.index(row, column).data(Qt.ItemDataRole.ForegroundRole)
                if colour is None:
                    continue
                checked += 1
                what = (themed, model.index(row, TYPE_COLUMN).data(), QColor(colour).name())
                assert contrast(QColor(colour), background) >= 3.0, what
        assert checked >= 6
    finally:
        window.close()
        QApplication.processEvents()


def test_the_recent_urls_arrow_reads_on_the_themes_field(qtbot, themed, echo_row) -> None:
    window = MainWindow(server_port=0)
    qtbot.addWidget(window)
    window.show()
    try:
        echo_row(window, "hello")  # the URL joins the recent ones, and the arrow shows
        action = window.connection_bar.recent_action
        qtbot.waitUntil(lambda: action.isVisible() and not action.icon().isNull(), timeout=WAIT_MS)
        image = action.icon().pixmap(16, 16).toImage()
        inked = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
        inked = [colour for colour in inked if colour.alpha() > 200]
        assert inked
        field = window.connection_bar.url_edit.palette().color(QPalette.ColorRole.Base)
        assert min(contrast(colour, field) for colour in inked) >= 3.0, (themed, field.name(), inked[0].name())
    finally:
        window.close()
        QApplication.processEvents()
