"""LiveLabel: counters that change several times a second must not re-lay out the window
(in a flood each pass repainted the whole tab: see wsconsole/ui/live_label.py)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from wsconsole.ui.log.live_label import LiveLabel


class LayoutRequests(QObject):
    """Counts the LayoutRequest events a widget receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def nested(qtbot, make_label):
    """A shown window with the label two layouts down; returns (window, middle widget, label)."""
    window = QWidget()
    qtbot.addWidget(window)
    outer = QVBoxLayout(window)
    middle = QWidget()
    outer.addWidget(middle)
    outer.addWidget(QLabel("something else"))
    row = QHBoxLayout(middle)
    label = make_label()
    row.addWidget(label, 1)
    row.addWidget(QLabel("beside it"))
    window.resize(400, 100)
    window.show()
    qtbot.waitExposed(window)
    return window, middle, label


def settle(qtbot) -> None:
    """Delivers the posted LayoutRequests, and those their handling posts, up to the window."""
    for _ in range(6):  # deeper than the nesting above
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_a_changing_count_in_a_live_label_does_not_reach_the_window(qtbot):
    window, middle, box = nested(qtbot, lambda: LiveLabel(object_name="count", min_width_text="99 of 99"))
    box.setText("1 of 10")  # the first text may grow the box
    settle(qtbot)
    at_window, at_middle = LayoutRequests(window), LayoutRequests(middle)
    for n in range(2, 9):
        box.setText(f"{n} of 10")  # never wider than the first
        settle(qtbot)
    assert box.text() == "8 of 10" and window.findChild(QLabel, "count").text() == "8 of 10"
    assert at_middle.count == 0 and at_window.count == 0


def test_a_plain_label_does_reach_the_window(qtbot):
    # The control: without LiveLabel each new text sends a layout request up.
    window, middle, label = nested(qtbot, QLabel)
    label.setText("1 of 10")
    settle(qtbot)
    at_window = LayoutRequests(window)
    for n in range(2, 9):
        label.setText(f"{n} of 10")
        settle(qtbot)
    assert at_window.count >= 7


def test_a_wider_text_grows_the_box_once_and_a_narrower_one_keeps_it(qtbot):
    window, middle, box = nested(qtbot, lambda: LiveLabel(object_name="count"))
    box.setText("1 of 1")
    settle(qtbot)
    narrow = box.sizeHint().width()
    at_window = LayoutRequests(window)
    box.setText("100,000 of 100,000 shown")
    settle(qtbot)
    wide = box.sizeHint().width()
    assert wide > narrow and at_window.count >= 1
    assert box.label.width() >= box.label.sizeHint().width()  # the whole text shows
    before = at_window.count
    box.setText("1 of 1")
    settle(qtbot)
    assert box.sizeHint().width() == wide and at_window.count == before


def test_the_box_shrinks_no_further_than_its_sample_and_keeps_a_line_high(qtbot):
    box = LiveLabel(object_name="count", min_width_text="9,999 of 99,999 shown")
    qtbot.addWidget(box)
    metrics = box.label.fontMetrics()
    assert box.minimumSizeHint().width() == metrics.horizontalAdvance("9,999 of 99,999 shown")
    assert box.minimumSizeHint().height() >= metrics.height()  # even before any text


def test_a_box_that_does_not_grow_lays_nothing_out_for_a_wider_text(qtbot):
    # The status bar's counters: the bar stretches the box over the room left, so a wider text
    # needs no new layout (which, for a status bar, is a layout of the whole main window).
    window, middle, box = nested(qtbot, lambda: LiveLabel(object_name="count", min_width_text="1 of 1", grows=False))
    settle(qtbot)
    hint = box.sizeHint()
    at_window, at_middle = LayoutRequests(window), LayoutRequests(middle)
    box.setText("100,000 of 100,000 shown")
    settle(qtbot)
    assert box.sizeHint() == hint
    assert at_middle.count == 0 and at_window.count == 0
    assert box.label.width() == box.width()  # the label has all the box's room


def test_the_status_bar_counters_do_not_lay_out_the_window_again(qtbot, window, echo_row):
    from wsconsole.ui.window.main_window import MainWindow

    assert isinstance(window, MainWindow)
    echo_row(window, "first")
    qtbot.waitUntil(lambda: "received 1 packet " in window.findChild(QLabel, "countersLabel").text(), timeout=10_000)
    settle(qtbot)
    at_window = LayoutRequests(window)
    label = window.findChild(QLabel, "countersLabel")
    for n in range(2, 5):
        echo_row(window, "a longer packet, so the counters' text grows " * n)
        qtbot.waitUntil(lambda n=n: f"received {n} packets" in label.text(), timeout=10_000)
        settle(qtbot)
    assert at_window.count == 0
