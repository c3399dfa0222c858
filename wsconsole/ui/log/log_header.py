"""The log's column titles, painted without asking the model about every row."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QStyle, QStyleOptionHeader, QWidget

_POSITIONS = {
    (True, True): QStyleOptionHeader.SectionPosition.OnlyOneSection,
    (True, False): QStyleOptionHeader.SectionPosition.Beginning,
    (False, True): QStyleOptionHeader.SectionPosition.End,
    (False, False): QStyleOptionHeader.SectionPosition.Middle,
}


class LogHeader(QHeaderView):
    """The log view's horizontal header: QHeaderView's look, without its selection questions.

    Before painting a section, ``QHeaderView::initStyleOptionForIndex`` asks
    whether the section and its neighbours are selected whole
    (``QItemSelectionModel::isColumnSelected``), which walks the selection row
    by row, calling the model's ``index()`` and ``flags()`` for each: through
    Python, after Ctrl+A on 100,000 entries, 0.65 s before the header's next
    paint.  The log selects whole rows, never a column on its own, so this
    fills the section's style option without that question; what the titles
    show of a selection (bold while any row is selected) it asks the cheap way,
    ``columnIntersectsSelection``, which stops at the first selected row.
    GUI thread only.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        # As QTableView sets up the header it makes itself.
        self.setSectionsClickable(True)
        self.setHighlightSections(True)

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:  # noqa: N802 - Qt's name
        model = self.model()
        orientation = Qt.Orientation.Horizontal
        option.section = logical_index
        option.orientation = orientation
        option.text = str(model.headerData(logical_index, orientation, Qt.ItemDataRole.DisplayRole) or "")
        alignment = model.headerData(logical_index, orientation, Qt.ItemDataRole.TextAlignmentRole)
        option.textAlignment = Qt.AlignmentFlag(alignment) if alignment is not None else self.defaultAlignment()
        option.iconAlignment = Qt.AlignmentFlag.AlignVCenter
        shown = [self.logicalIndex(visual) for visual in range(self.count())]
        shown = [index for index in shown if not self.isSectionHidden(index)]
        option.position = _POSITIONS[(logical_index == shown[0], logical_index == shown[-1])]
        option.selectedPosition = QStyleOptionHeader.SelectedPosition.NotAdjacent
        selection = self.selectionModel()
        if (
            self.sectionsClickable()
            and self.highlightSections()
            and selection is not None
            and selection.columnIntersectsSelection(logical_index, QModelIndex())
        ):
            option.state |= QStyle.StateFlag.State_On
        if hasattr(option, "textElideMode"):  # a QStyleOptionHeaderV2, as paintSection passes
            option.textElideMode = self.textElideMode()
