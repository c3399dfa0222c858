"""A JSON document or decoded value as a collapsible tree: key, type and value per row.

:class:`ValueTreeModel` adapts :mod:`wsconsole.text.valuetree`: a node's children
are made when it is first expanded (``canFetchMore``/``fetchMore``), at most
:data:`~wsconsole.text.valuetree.CHILD_CHUNK` at a time, the rest behind a
"… N more" row that shows the next chunk when activated.  So a 10 MB packet
costs the rows a person opens, never the whole document.
:class:`ValueTreeView` adds expand all (bounded by :data:`EXPAND_ALL_MAX_ROWS`),
collapse all, and copying a value or its JSONPath.  GUI thread only.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from wsconsole.text.valuetree import (
    CHILD_CHUNK,
    TreeItem,
    child_items,
    copy_text,
    item_for,
    more_text,
)

KEY_COLUMN, TYPE_COLUMN, VALUE_COLUMN = range(3)
HEADERS = ("Key", "Type", "Value")

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
"""The row's :class:`~wsconsole.text.valuetree.TreeItem`; None on a "… N more" row."""

PATH_ROLE = Qt.ItemDataRole.UserRole + 2
"""The row's JSONPath (``$.players[2].name``); None on a "… N more" row."""

EXPAND_ALL_MAX_ROWS = 10_000
"""Expand all stops before showing more rows than this (a big document would take seconds)."""


TREE_MIN_ROWS = 4
"""Rows the tree keeps in sight while shown (the splitter takes them from the log)."""


class _Node:
    """A row of the model; ``children`` is None until first fetched."""

    __slots__ = ("item", "parent", "row", "children", "loaded")

    def __init__(self, item: TreeItem | None, parent: _Node | None, row: int) -> None:
        self.item = item  # None: the invisible root, or a "… N more" row (then parent is set)
        self.parent = parent
        self.row = row
        self.children: list[_Node] | None = None
        self.loaded = 0  # children made so far (the "more" row not counted)

    @property
    def is_more(self) -> bool:
        return self.item is None and self.parent is not None

    @property
    def remaining(self) -> int:
        return self.item.child_count - self.loaded if self.item is not None else 0


class ValueTreeModel(QAbstractItemModel):
    """Adapts a value (a parsed JSON document or a decoded payload) as a lazy three-column tree."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._root = _Node(None, None, 0)
        self._root.children = []

    # -- content ---------------------------------------------------------------

    def set_value(self, value: Any) -> None:
        """Shows ``value`` as the one top row ``$``; its children are made when it is expanded."""
        self._reset([item_for(value)])

    def clear(self) -> None:
        self._reset([])

    def _reset(self, top: list[TreeItem]) -> None:
        # The old nodes stay referenced until the reset is over: an index holds a bare
        # pointer to its node (createIndex keeps no reference), and views may still ask.
        old_root = self._root
        self.beginResetModel()
        self._root = _Node(None, None, 0)
        self._root.children = [_Node(item, self._root, row) for row, item in enumerate(top)]
        self.endResetModel()
        del old_root

    def item(self, index: QModelIndex) -> TreeItem | None:
        """The node at ``index``; None for a "… N more" row or an invalid index."""
        node = self._node(index)
        return node.item if node is not self._root else None

    def is_more(self, index: QModelIndex) -> bool:
        """Whether ``index`` is a "… N more" row."""
        return index.isValid() and self._node(index).is_more

    def show_more(self, index: QModelIndex) -> int:
        """Makes the next chunk of children behind the "… N more" row ``index``; returns how many."""
        if not self.is_more(index):
            return 0
        return self._fetch(self._node(index).parent, self.parent(index))

    # -- the Qt model interface --------------------------------------------------

    def _node(self, index: QModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self._root

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self._node(parent)
        children = node.children or []
        if not (0 <= row < len(children) and 0 <= column < len(HEADERS)):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008 - Qt's overloads
        if not index.isValid():
            return QModelIndex()
        parent = self._node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        if parent.isValid() and parent.column() != 0:
            return 0
        children = self._node(parent).children
        return len(children) if children is not None else 0

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return len(HEADERS)

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        node = self._node(parent)
        if node is self._root:
            return bool(node.children)
        if parent.column() != 0 or node.item is None:
            return False
        return node.item.child_count > 0

    def canFetchMore(self, parent: QModelIndex) -> bool:  # noqa: N802
        node = self._node(parent)
        return node.item is not None and node.children is None and node.item.child_count > 0

    def fetchMore(self, parent: QModelIndex) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self._fetch(self._node(parent), parent)

    def _fetch(self, node: _Node, parent: QModelIndex) -> int:
        """Adds the next chunk of ``node``'s children (and keeps or drops its "more" row)."""
        item = node.item
        new_items = child_items(item, node.loaded, CHILD_CHUNK)
        if node.children is None:
            node.children = []
        has_more_row = bool(node.children) and node.children[-1].is_more
        first = node.loaded
        if new_items:
            self.beginInsertRows(parent, first, first + len(new_items) - 1)
            made = [_Node(child, node, first + i) for i, child in enumerate(new_items)]
            node.children[first:first] = made
            node.loaded += len(made)
            if has_more_row:
                node.children[-1].row = node.loaded
            self.endInsertRows()
        remaining = item.child_count - node.loaded
        if remaining > 0 and not has_more_row:
            self.beginInsertRows(parent, node.loaded, node.loaded)
            node.children.append(_Node(None, node, node.loaded))
            self.endInsertRows()
        elif remaining > 0:
            more = self.createIndex(node.loaded, 0, node.children[-1])
            self.dataChanged.emit(more, more.siblingAtColumn(VALUE_COLUMN))
        elif has_more_row:
            self.beginRemoveRows(parent, node.loaded, node.loaded)
            removed = node.children.pop()  # alive until the views have let go of its index
            self.endRemoveRows()
            del removed
        return len(new_items)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if node.is_more:
            if role == Qt.ItemDataRole.DisplayRole and column == KEY_COLUMN:
                return more_text(node.parent.remaining)
            if role == Qt.ItemDataRole.DisplayRole and column == VALUE_COLUMN:
                return f"double-click to show {min(CHILD_CHUNK, node.parent.remaining):,} more"
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        item = node.item
        if role == Qt.ItemDataRole.DisplayRole:
            return (item.key, item.type_name, item.summary)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.path
        if role == ITEM_ROLE:
            return item
        if role == PATH_ROLE:
            return item.path
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ValueTreeView(QWidget):
    """The tree with its buttons: expand all, collapse all, copy value, copy path.

    Signals:
        path_copied(str): a JSONPath was put on the clipboard.
        value_copied(str): a value was put on the clipboard (as copied).
    """

    path_copied = Signal(str)
    value_copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("valueTreePanel")
        self.model = ValueTreeModel(self)
        self.tree = QTreeView(objectName="valueTree")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)  # a long list scrolls without measuring every row
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.tree.setAccessibleName("Value tree")
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.resizeSection(KEY_COLUMN, 220)
        header.resizeSection(TYPE_COLUMN, 90)
        self.tree.activated.connect(self._on_activated)
        self.tree.doubleClicked.connect(self._on_activated)
        self.tree.selectionModel().currentChanged.connect(lambda _current, _previous: self._update_path())

        self.expand_all_button = QPushButton("Expand all", objectName="valueTreeExpandAllButton")
        self.expand_all_button.setToolTip(f"Expand every node, up to {EXPAND_ALL_MAX_ROWS:,} rows")
        self.expand_all_button.clicked.connect(self.expand_all)
        self.collapse_all_button = QPushButton("Collapse all", objectName="valueTreeCollapseAllButton")
        self.collapse_all_button.clicked.connect(self.collapse_all)
        self.copy_value_button = QPushButton("Copy value", objectName="valueTreeCopyValueButton")
        self.copy_value_button.setToolTip("Copy the selected value: a string as it is, anything else as JSON")
        self.copy_value_button.clicked.connect(self.copy_value)
        self.copy_path_button = QPushButton("Copy path", objectName="valueTreeCopyPathButton")
        self.copy_path_button.setToolTip("Copy the selected node's JSONPath, like $.players[2].name")
        self.copy_path_button.clicked.connect(self.copy_path)
        self.path_label = QLabel(objectName="valueTreePathLabel")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note_label = QLabel(objectName="valueTreeNoteLabel")
        self.note_label.setWordWrap(True)
        self.note_label.hide()

        self.copy_value_action = QAction("Copy value", self, shortcut=QKeySequence.StandardKey.Copy)
        self.copy_value_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_value_action.triggered.connect(self.copy_value)
        self.copy_path_action = QAction("Copy path", self)
        self.copy_path_action.triggered.connect(self.copy_path)
        self.tree.addAction(self.copy_value_action)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)

        buttons = QHBoxLayout()
        for button in (self.expand_all_button, self.collapse_all_button, self.copy_value_button, self.copy_path_button):
            buttons.addWidget(button)
        buttons.addWidget(self.path_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.note_label)
        layout.addWidget(self.tree, 1)
        self._update_path()

    def set_value(self, value: Any) -> None:
        """Shows ``value`` with its top level open (its first chunk of children made)."""
        self.note_label.hide()
        self.model.set_value(value)
        top = self.model.index(0, 0)
        self.tree.expand(top)
        self.tree.setCurrentIndex(top)
        self._update_path()

    def clear(self) -> None:
        self.model.clear()
        self.note_label.hide()
        self._update_path()

    def current_item(self) -> TreeItem | None:
        return self.model.item(self.tree.currentIndex().siblingAtColumn(KEY_COLUMN))

    def copy_value(self) -> str | None:
        """Puts the selected value on the clipboard; returns it (None when nothing is selected)."""
        item = self.current_item()
        if item is None:
            return None
        text = copy_text(item.value)
        QGuiApplication.clipboard().setText(text)
        self.value_copied.emit(text)
        return text

    def copy_path(self) -> str | None:
        """Puts the selected node's JSONPath on the clipboard; returns it (None when nothing is selected)."""
        item = self.current_item()
        if item is None:
            return None
        QGuiApplication.clipboard().setText(item.path)
        self.path_copied.emit(item.path)
        return item.path

    def select_path(self, path: str) -> bool:
        """Selects the shown node at ``path`` (expanding down to it); False if no such node is made yet."""
        index = self._find(path)
        if index is None:
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def _find(self, path: str, parent: QModelIndex | None = None) -> QModelIndex | None:
        parent = parent if parent is not None else QModelIndex()
        model = self.model
        model.fetchMore(parent)
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            item = model.item(index)
            if item is None:
                continue
            if item.path == path:
                return index
            if path.startswith(item.path) and path[len(item.path)] in ".[" and item.child_count:
                self.tree.expand(index)
                found = self._find(path, index)
                if found is not None:
                    return found
        return None

    def showEvent(self, event) -> None:
        # At least four rows in sight while the tree is shown: at 1280x800 the details pane
        # under the log left it two.  Only while shown: the stack's minimum is its largest
        # page's, and the text views need no more than they had, so the log keeps its room.
        rows = QFontMetrics(self.tree.font()).lineSpacing() + 4
        self.tree.setMinimumHeight(self.tree.header().sizeHint().height() + TREE_MIN_ROWS * rows + 4)
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.tree.setMinimumHeight(0)
        super().hideEvent(event)

    def expand_all(self) -> int:
        """Expands every node, breadth first, until :data:`EXPAND_ALL_MAX_ROWS` rows are shown.

        Returns:
            How many nodes were expanded.  When it stopped early, a note says
            so and the rest stay collapsed (expand them by hand).
        """
        model = self.model
        queue: deque[QModelIndex] = deque([QModelIndex()])
        shown = self._visible_rows(QModelIndex())
        expanded = 0
        stopped = False
        self.tree.setUpdatesEnabled(False)
        try:
            while queue:
                parent = queue.popleft()
                for row in range(model.rowCount(parent)):
                    index = model.index(row, 0, parent)
                    item = model.item(index)
                    if item is None or not item.child_count:
                        continue
                    cost = min(item.child_count, CHILD_CHUNK) + (item.child_count > CHILD_CHUNK)
                    if not self.tree.isExpanded(index) and shown + cost > EXPAND_ALL_MAX_ROWS:
                        stopped = True
                        continue
                    model.fetchMore(index)
                    if not self.tree.isExpanded(index):
                        self.tree.expand(index)
                        shown += model.rowCount(index)
                    expanded += 1
                    queue.append(index)
        finally:
            self.tree.setUpdatesEnabled(True)
        if stopped:
            self.note_label.setText(
                f"Expanded {expanded:,} nodes and stopped at {EXPAND_ALL_MAX_ROWS:,} rows; expand the rest by hand."
            )
        self.note_label.setVisible(stopped)
        return expanded

    def _visible_rows(self, parent: QModelIndex) -> int:
        """Rows shown under ``parent``: its children and, under each expanded one, theirs."""
        rows = self.model.rowCount(parent)
        return rows + sum(
            self._visible_rows(index)
            for index in (self.model.index(row, 0, parent) for row in range(rows))
            if self.tree.isExpanded(index)
        )

    def collapse_all(self) -> None:
        """Collapses every node but the top one."""
        self.note_label.hide()
        self.tree.collapseAll()
        self.tree.expand(self.model.index(0, 0))

    def _on_activated(self, index: QModelIndex) -> None:
        if self.model.is_more(index.siblingAtColumn(KEY_COLUMN)):
            self.model.show_more(index.siblingAtColumn(KEY_COLUMN))

    def _update_path(self) -> None:
        item = self.current_item()
        self.path_label.setText(item.path if item is not None else "")
        for widget in (self.copy_value_button, self.copy_path_button, self.copy_value_action, self.copy_path_action):
            widget.setEnabled(item is not None)

    def _menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_value_action)
        menu.addAction(self.copy_path_action)
        menu.addSeparator()
        menu.addAction("Expand all", self.expand_all)
        menu.addAction("Collapse all", self.collapse_all)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
