"""The log's Qt model: model rules (qtmodeltester), batched inserts, a large log."""

from __future__ import annotations

from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

from wsconsole.session.entries import Direction, EntryKind, packet_entry
from wsconsole.session.filters import LogFilter
from wsconsole.session.log import MessageLog
from wsconsole.ui.log.model import (
    CONTENT_COLUMN,
    DIR_COLUMN,
    ENTRY_ROLE,
    SIZE_COLUMN,
    TYPE_COLUMN,
    FilteredLogModel,
    LogTableModel,
    TimeMode,
)


def filled_log() -> MessageLog:
    log = MessageLog()
    log.add_event(EntryKind.STATE, "CLOSED → CONNECTING", 1.0)
    log.add_packet(Direction.SENT, "héllo", 2.0)
    log.add_packet(Direction.RECEIVED, b"\x00\x01\xff", 3.0)
    log.add_event(EntryKind.ERROR, "connection refused", 4.0)
    log.add_event(EntryKind.CLOSE, "1000 NORMAL_CLOSURE (normal closure)", 5.0)
    return log


def test_model_passes_qtmodeltester(qtmodeltester):
    log = filled_log()
    model = LogTableModel(log)
    qtmodeltester.check(model, force_py=True)
    log.add_packet(Direction.SENT, "more")
    log.clear()
    qtmodeltester.check(model, force_py=True)


def test_columns_show_type_direction_size_and_preview():
    model = LogTableModel(filled_log())
    sent = model.index(1, 0)
    assert model.index(1, TYPE_COLUMN).data() == "text"
    assert model.index(1, DIR_COLUMN).data() == "↑"
    assert model.index(1, DIR_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == "sent"
    assert model.index(1, SIZE_COLUMN).data() == "6 B"  # UTF-8 bytes, not characters
    assert model.index(2, CONTENT_COLUMN).data() == "00 01 ff"
    assert model.index(2, TYPE_COLUMN).data() == "binary"
    assert model.index(3, TYPE_COLUMN).data() == "error"
    assert model.index(3, SIZE_COLUMN).data() == ""
    assert sent.data(ENTRY_ROLE).data == "héllo"


def test_a_batch_is_one_insert(qtbot):
    log = MessageLog()
    model = LogTableModel(log)
    inserts = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    log.extend(packet_entry(Direction.RECEIVED, f"p{i}") for i in range(500))
    log.extend(packet_entry(Direction.RECEIVED, f"q{i}") for i in range(10))
    assert inserts == [(0, 499), (500, 509)]
    assert model.rowCount() == 510


def test_hundred_thousand_entries_in_a_view(qtbot):
    from PySide6.QtWidgets import QTableView

    log = MessageLog()
    model = LogTableModel(log)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    for chunk in range(100):
        log.extend(packet_entry(Direction.RECEIVED, f"packet {chunk}-{i}") for i in range(1000))
    view.scrollToBottom()
    assert model.rowCount() == 100_000
    assert model.index(99_999, CONTENT_COLUMN).data() == "packet 99-999"
    assert log.counters.received_packets == 100_000


def test_model_passes_qtmodeltester_while_the_bounded_log_drops(qtmodeltester):
    log = MessageLog(max_entries=50)  # drop chunk: 1
    model = LogTableModel(log)
    qtmodeltester.check(model, force_py=True)
    log.extend(packet_entry(Direction.RECEIVED, f"a{i}") for i in range(50))
    log.add_packet(Direction.SENT, "one over")  # drops 1
    log.extend(packet_entry(Direction.RECEIVED, f"b{i}") for i in range(20))  # drops 20
    log.extend(packet_entry(Direction.RECEIVED, f"c{i}") for i in range(80))  # longer than the cap
    log.max_entries = 10
    log.add_control(EntryKind.PING, Direction.RECEIVED, b"\x01")
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 10
    assert model.index(9, DIR_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == "ping received"
    assert model.index(9, TYPE_COLUMN).data() == "ping"
    assert model.index(9, CONTENT_COLUMN).data() == "01"


def test_dropped_entries_leave_as_one_removal_per_chunk(qtbot):
    log = MessageLog(max_entries=1_000)  # drop chunk: 10
    model = LogTableModel(log)
    removals: list[tuple[int, int]] = []
    inserts: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _parent, first, last: removals.append((first, last)))
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    log.extend(packet_entry(Direction.RECEIVED, f"p{i}") for i in range(1_000))
    for i in range(25):
        log.add_packet(Direction.SENT, f"s{i}")
    assert removals == [(0, 9), (0, 9), (0, 9)]
    assert model.rowCount() == len(log) == 995
    assert model.index(0, CONTENT_COLUMN).data() == "p30"
    assert model.index(994, CONTENT_COLUMN).data() == "s24"
    assert inserts[0] == (0, 999) and inserts[-1] == (994, 994)


def test_a_capped_view_keeps_its_selection_on_surviving_rows(qtbot):
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QTableView

    log = MessageLog(max_entries=200)  # drop chunk: 2
    model = LogTableModel(log)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    log.extend(packet_entry(Direction.RECEIVED, f"p{i}") for i in range(200))
    view.selectionModel().setCurrentIndex(
        model.index(150, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    log.extend(packet_entry(Direction.RECEIVED, f"q{i}") for i in range(40))
    current = view.selectionModel().currentIndex()
    # The selected entry moved up by the 40 dropped rows and is still the one selected.
    assert current.row() == 110
    assert current.siblingAtColumn(CONTENT_COLUMN).data() == "p150"


# -- the filtered model ------------------------------------------------------------


def test_filtered_model_passes_qtmodeltester_through_appends_drops_and_refilters(qtmodeltester):
    from wsconsole.session.filters import LogFilter
    from wsconsole.ui.log.model import FilteredLogModel

    log = MessageLog(max_entries=100)  # drop chunk: 1
    model = FilteredLogModel(log, LogFilter(directions=frozenset({Direction.RECEIVED})))
    qtmodeltester.check(model, force_py=True)
    log.extend(packet_entry(Direction.SENT if i % 2 else Direction.RECEIVED, f"a{i}") for i in range(100))
    log.extend(packet_entry(Direction.RECEIVED, f"b{i}") for i in range(30))  # drops 30
    model.set_filter(LogFilter(text="b1"))
    log.extend(packet_entry(Direction.RECEIVED, f"c{i}") for i in range(250))  # longer than the cap
    model.set_filter(LogFilter(regex="("))
    log.clear()
    log.add_packet(Direction.SENT, "after clear")
    qtmodeltester.check(model, force_py=True)


def test_filtered_model_shows_only_matches_and_follows_the_log(qtbot):
    from wsconsole.session.filters import LogFilter
    from wsconsole.ui.log.model import FilteredLogModel

    log = MessageLog(max_entries=1_000)  # drop chunk: 10
    log.extend(packet_entry(Direction.SENT, f"s{i}") for i in range(10))
    model = FilteredLogModel(log, LogFilter(directions=frozenset({Direction.RECEIVED}), text="ok"))
    inserts: list[tuple[int, int]] = []
    removals: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    model.rowsRemoved.connect(lambda _p, first, last: removals.append((first, last)))
    assert model.rowCount() == 0

    log.extend(packet_entry(Direction.RECEIVED, "ok" if i % 3 == 0 else "no") for i in range(990))
    assert inserts == [(0, 329)]  # only the 330 matches, in one batch
    assert model.rowCount() == 330
    assert model.index(0, CONTENT_COLUMN).data() == "ok"
    assert model.log_row(0) == 10

    log.add_packet(Direction.SENT, "ok but sent")  # no match: no signal
    assert inserts == [(0, 329)]
    # The log was full: the 10 "s" entries went, no row of ours did.
    assert removals == []
    # 991 + 20 is 11 over: 11 go (at least a chunk), received 0-10, of which 4 matched.
    log.extend(packet_entry(Direction.RECEIVED, "ok") for _ in range(20))
    assert removals == [(0, 3)]
    assert inserts[-1] == (326, 345)
    assert model.rowCount() == 346
    assert all(model.entry(row).data == "ok" for row in range(model.rowCount()))
    assert [model.log_row(row) for row in range(3)] == [
        i for i, entry in enumerate(log) if entry.direction is Direction.RECEIVED and entry.data == "ok"
    ][:3]


def test_filtered_model_reports_problems_and_keeps_the_other_criteria(qtbot):
    from wsconsole.session.filters import LogFilter
    from wsconsole.ui.log.model import FilteredLogModel

    log = filled_log()
    model = FilteredLogModel(log)
    assert model.rowCount() == 5
    resets = []
    model.modelReset.connect(lambda: resets.append(True))
    problems = model.set_filter(LogFilter(regex="[", kinds=frozenset({EntryKind.ERROR, EntryKind.CLOSE})))
    assert resets == [True]
    assert [p.field for p in problems] == ["regex"] and model.problems == problems
    assert [model.index(row, TYPE_COLUMN).data() for row in range(model.rowCount())] == ["error", "close"]
    assert model.filter.regex == "["


def test_filtered_model_in_a_view_keeps_up_with_a_flood(qtbot):
    from PySide6.QtWidgets import QTableView

    from wsconsole.session.filters import LogFilter
    from wsconsole.ui.log.model import FilteredLogModel

    log = MessageLog(max_entries=20_000)
    model = FilteredLogModel(log, LogFilter(text="7"))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    for chunk in range(25):  # 25,000 entries through a 20,000 cap
        log.extend(packet_entry(Direction.RECEIVED, f"{chunk}-{i}") for i in range(1_000))
        view.scrollToBottom()
    expected = [entry.data for entry in log if "7" in entry.data]
    assert model.rowCount() == len(expected)
    assert model.index(model.rowCount() - 1, CONTENT_COLUMN).data() == expected[-1]
    assert model.index(0, CONTENT_COLUMN).data() == expected[0]


_PAINT_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole,
    ENTRY_ROLE,
)


def _multi_data(model, row: int, column: int) -> dict:
    # One span per role, as PySide builds them; the model fills what it answers.
    answers = {}
    for role in _PAINT_ROLES:
        item = QModelRoleData(int(role))
        model.multiData(model.index(row, column), QModelRoleDataSpan(item))
        answers[int(role)] = item.data()
    return answers


def _data(model, row: int, column: int) -> dict:
    return {int(role): model.data(model.index(row, column), int(role)) for role in _PAINT_ROLES}


def _assert_multi_data_matches_data(model) -> None:
    assert model.rowCount() > 0
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            assert _multi_data(model, row, column) == _data(model, row, column), (row, column)


def test_multi_data_gives_what_data_gives_in_every_mode_with_notes_and_after_changes():
    log = filled_log()
    log.add_control(EntryKind.PING, Direction.RECEIVED, b"hi", 6.0)
    model = LogTableModel(log)
    _assert_multi_data_matches_data(model)  # fills the row cache
    model.notes[log.first_number + 1] = "RTT 1.2 ms"
    model.set_time_mode(TimeMode.SINCE_FIRST)
    _assert_multi_data_matches_data(model)
    model.note_open(2.5)
    model.set_time_mode(TimeMode.SINCE_OPEN)
    _assert_multi_data_matches_data(model)
    model.set_time_mode(TimeMode.ABSOLUTE)
    _assert_multi_data_matches_data(model)
    # Cleared and refilled: the new entries, not cached cells of the old ones.
    log.clear()
    model.notes.clear()
    log.add_packet(Direction.RECEIVED, "after the clear", 7.0)
    log.add_event(EntryKind.ERROR, "boom", 8.0)
    _assert_multi_data_matches_data(model)
    assert _multi_data(model, 0, CONTENT_COLUMN)[int(Qt.ItemDataRole.DisplayRole)] == "after the clear"


def test_filtered_multi_data_follows_refilters_and_drops():
    log = MessageLog(max_entries=200)
    for i in range(150):
        log.add_packet(Direction.RECEIVED if i % 2 else Direction.SENT, f"packet {i}", float(i))
    model = FilteredLogModel(log)
    _assert_multi_data_matches_data(model)
    model.set_filter(LogFilter(text="packet 1"))
    _assert_multi_data_matches_data(model)
    for i in range(150, 300):
        log.add_packet(Direction.RECEIVED, f"packet {i}", float(i))
    _assert_multi_data_matches_data(model)


def test_a_delegate_paints_the_cells_from_one_call_each(qtbot):
    # What a view's delegate reads for a cell (QStyledItemDelegate asks all
    # its roles through multiData) is what data() says.
    log = filled_log()
    model = LogTableModel(log)
    calls = []
    multi_data = model.multiData
    model.multiData = lambda index, span: (calls.append(index.column()), multi_data(index, span))[1]
    delegate = QStyledItemDelegate()
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, model.index(1, SIZE_COLUMN))
    assert option.text == "6 B"
    assert int(option.displayAlignment) == int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, model.index(3, TYPE_COLUMN))
    assert option.text == "error"
    assert option.font.bold()
    assert calls == [SIZE_COLUMN, TYPE_COLUMN]


def test_a_cell_shows_none_of_the_previous_cells_roles(qtbot):
    # The delegate reuses one span of roles from cell to cell (seen in the
    # window: every column took the Size column's right alignment and the
    # row's colour). Each cell, painted after every other cell of its row and
    # of the row before, reads exactly what data() says, defaults included.
    log = filled_log()
    model = LogTableModel(log)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = view.itemDelegate()
    default_alignment = int(QStyleOptionViewItem().displayAlignment)
    default_text = QColor(view.palette().color(view.palette().ColorRole.Text))
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            option = QStyleOptionViewItem()
            delegate.initStyleOption(option, index)
            alignment = model.data(index, Qt.ItemDataRole.TextAlignmentRole)
            expected_alignment = int(alignment) if alignment is not None else default_alignment
            assert int(option.displayAlignment) == expected_alignment, (row, column)
            colour = model.data(index, Qt.ItemDataRole.ForegroundRole)
            expected_colour = QColor(colour) if colour is not None else default_text
            assert option.palette.color(option.palette.ColorRole.Text) == expected_colour, (row, column)
