"""The "Save connection as profile" dialog and the "Manage profiles" dialog.

The store (:class:`~wsconsole.storage.profiles.ProfileStore`) is the window's; these dialogs only
read it and emit intents (``*_requested``): what a save, rename or delete does is
:class:`~wsconsole.session.profiles.ProfileBook`'s.  Everything here runs on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wsconsole.storage.profiles import ProfileStore
from wsconsole.text.redact import redact_url

SECRETS_EXPLANATION = (
    "Off: the Authorization, Proxy-Authorization and Cookie headers, the basic auth password, the "
    "bearer token, the cookies and any password in the URL or proxy URL are left out; type them "
    "again after opening the profile.\n"
    "On: they are written as plain text to {path}."
)


class SaveProfileDialog(QDialog):
    """Asks for a profile's name and whether to save its passwords and tokens.

    Args:
        store: To say where the file is and whether the name is taken.
        name: The suggested name (the tab's).
    """

    def __init__(self, store: ProfileStore, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saveProfileDialog")
        self.setWindowTitle("Save connection as profile")
        self._store = store
        self.name_edit = QLineEdit(name, objectName="profileNameEdit")
        self.name_edit.selectAll()
        self.secrets_check = QCheckBox("Save passwords and tokens", objectName="saveSecretsCheck")
        self.secrets_check.setChecked(False)
        explanation = QLabel(SECRETS_EXPLANATION.format(path=store.path), objectName="saveSecretsExplanation")
        explanation.setWordWrap(True)
        explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note_label = QLabel(objectName="profileNameNote")
        self.note_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow(self.note_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.secrets_check)
        layout.addWidget(explanation)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.name_edit.textChanged.connect(self._on_name)
        self._on_name()

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def save_secrets(self) -> bool:
        return self.secrets_check.isChecked()

    def _on_name(self, *_args: object) -> None:
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if not self.name:
            self.note_label.setText("A profile needs a name.")
            self.note_label.setVisible(True)
            save.setEnabled(False)
            return
        save.setEnabled(True)
        taken = self._store.get(self.name) is not None
        self.note_label.setText("Replaces the saved profile of that name." if taken else "")
        self.note_label.setVisible(taken)
        save.setText("Replace" if taken else "Save")


class ProfilesDialog(QDialog):
    """Lists the saved profiles to open, rename (double-click or Rename) or delete.

    Signals:
        open_requested(str): open this profile.
        rename_requested(str, str): old name, new name.
        delete_requested(str): delete this profile.
    """

    open_requested = Signal(str)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)

    def __init__(self, store: ProfileStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilesDialog")
        self.setWindowTitle("Connection profiles")
        self._store = store
        self._refreshing = False
        self.list = QListWidget(objectName="profilesList")
        self.list.setEditTriggers(
            QListWidget.EditTrigger.EditKeyPressed | QListWidget.EditTrigger.SelectedClicked
        )
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.open_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        # The selected profile's URL: the list shows names only, so they stay editable in place.
        self.url_label = QLabel(objectName="profileUrlLabel")
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label = QLabel(objectName="profilesProblemLabel")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b42318;")
        self.open_button = QPushButton("Open", objectName="openProfileButton")
        self.rename_button = QPushButton("Rename", objectName="renameProfileButton")
        self.delete_button = QPushButton("Delete", objectName="deleteProfileButton")
        close_button = QPushButton("Close")
        self.open_button.clicked.connect(lambda: self._emit_for_current(self.open_requested))
        self.rename_button.clicked.connect(self._start_rename)
        self.delete_button.clicked.connect(lambda: self._emit_for_current(self.delete_requested))
        close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.url_label)
        layout.addWidget(self.problem_label)
        layout.addLayout(buttons)
        self.resize(520, 340)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """Shows the store's profiles again, selecting ``select`` (or the first)."""
        self._refreshing = True
        try:
            self.list.clear()
            for profile in self._store.profiles():
                item = QListWidgetItem(profile.name)
                item.setData(Qt.ItemDataRole.UserRole, profile.name)
                item.setToolTip(redact_url(profile.url))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.list.addItem(item)
                if profile.name == select:
                    self.list.setCurrentItem(item)
            if self.list.currentItem() is None and self.list.count():
                self.list.setCurrentRow(0)
        finally:
            self._refreshing = False
        self._update_buttons()

    def show_problem(self, text: str) -> None:
        self.problem_label.setText(text)

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        has = item is not None
        profile = self._store.get(item.data(Qt.ItemDataRole.UserRole)) if has else None
        self.url_label.setText(redact_url(profile.url) if profile is not None else "")
        for button in (self.open_button, self.rename_button, self.delete_button):
            button.setEnabled(has)

    def _emit_for_current(self, signal: Signal) -> None:
        item = self.list.currentItem()
        if item is not None:
            signal.emit(item.data(Qt.ItemDataRole.UserRole))

    def _start_rename(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._refreshing:
            return
        old, new = item.data(Qt.ItemDataRole.UserRole), item.text().strip()
        if new != old:
            self.rename_requested.emit(old, new)
