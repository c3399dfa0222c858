"""The window's connection profiles and recent URLs: the menu entries, the dialogs, the messages.

What a save, rename or delete does to the store is
:class:`~wsconsole.session.profiles.ProfileBook`'s; :class:`ProfileActions`
turns a tab into a profile and back, fills the File menu's entries, opens
the dialogs and says what went wrong in the status bar and the log.  The
dialogs' module is imported on first use.  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStringListModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from wsconsole.client.events import ReadyState
from wsconsole.client.options import ConnectOptions
from wsconsole.session.entries import EntryKind
from wsconsole.session.profiles import ProfileBook, ProfileChange
from wsconsole.session.reconnect import ReconnectPolicy
from wsconsole.storage.profiles import RELAY_KIND, PingSettings, Profile, ProfileStore
from wsconsole.text.redact import redact_url
from wsconsole.ui.window.lazy import profiles_ui

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab
    from wsconsole.ui.dialogs.profiles import ProfilesDialog, SaveProfileDialog
    from wsconsole.ui.relay.tab import RelayTab

STATUS_PROBLEM_MS = 30_000
"""How long a problem stays in the status bar."""


class ProfileActions(QObject):
    """Saving, opening, renaming and deleting profiles from ``window``; the shared recent URLs.

    Args:
        window: Its File menu gets the entries, after ``after``; its status bar the messages.
        after: The File menu's action the profile entries follow.
        store: Loaded already.
        current_tab: The tab shown.
        new_tab: Adds and shows a tab with this URL.

    Attributes:
        book: The rules the requests go through; ``book.store`` is ``store``.
        recent_urls_model: The recent URLs, shared by every tab's URL completer.
    """

    def __init__(
        self,
        window: QMainWindow,
        after: QAction,
        store: ProfileStore,
        current_tab: Callable[[], ConnectionTab],
        new_tab: Callable[[str], ConnectionTab],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._current_tab = current_tab
        self._new_tab = new_tab
        self.book = ProfileBook(store)
        self._dialog: ProfilesDialog | None = None
        self.recent_urls_model = QStringListModel(store.recent_urls, self)

        self.save_action = QAction("&Save connection as profile…", window, objectName="saveProfileAction")
        self.save_action.triggered.connect(self.show_save_dialog)
        self.open_menu = QMenu("&Open profile", window, objectName="openProfileMenu")
        self.open_menu.aboutToShow.connect(self.fill_open_menu)
        self.manage_action = QAction("&Manage profiles…", window, objectName="manageProfilesAction")
        self.manage_action.triggered.connect(self.show_profiles_dialog)
        # After ``after``, in their own group, without touching the rest of the File menu.
        file_menu = next(
            action.menu() for action in window.menuBar().actions()
            if action.menu() is not None and after in action.menu().actions()
        )
        actions = file_menu.actions()
        position = actions.index(after) + 1
        before = actions[position] if position < len(actions) else None
        file_menu.insertSeparator(before)
        file_menu.insertAction(before, self.save_action)
        file_menu.insertMenu(before, self.open_menu)
        file_menu.insertAction(before, self.manage_action)
        self.fill_open_menu()

    @property
    def store(self) -> ProfileStore:
        return self.book.store

    def attach(self, tab: ConnectionTab) -> None:
        """Gives a new tab the recent URLs, and remembers each URL it opens."""
        tab.connection_bar.set_recent_model(self.recent_urls_model)
        tab.state_changed.connect(lambda event, t=tab: self._on_tab_state(t, event))

    def report_problems(self, tab: ConnectionTab) -> None:
        """Says once, without a modal box, what was wrong with the profiles file."""
        store = self.store
        for problem in store.problems:
            tab.log.add_event(EntryKind.ERROR, f"connection profiles: {problem}")
        if store.kept_aside is not None:
            self._window.statusBar().showMessage(
                f"The connection profiles file could not be read; it was kept as {store.kept_aside} (see the log)",
                STATUS_PROBLEM_MS,
            )
        elif store.problems:
            self._window.statusBar().showMessage(
                f"Connection profiles: {store.problems[0]} (see the log)", STATUS_PROBLEM_MS
            )

    def _on_tab_state(self, tab: ConnectionTab, event) -> None:
        # A URL joins the recent list once a connection to it opened: typos and dead hosts stay out.
        if event.new == ReadyState.OPEN:
            self.add_recent_url(tab.driver.peer.url)

    def add_recent_url(self, url: str) -> None:
        """Puts ``url`` first in the recent URLs (without a password) and saves at once."""
        problem = self.book.add_recent_url(url)
        self.recent_urls_model.setStringList(self.store.recent_urls)
        if problem:
            self._show_problem(problem)

    def _show_problem(self, message: str) -> None:
        self._current_tab().log.add_event(EntryKind.ERROR, message)
        self._window.statusBar().showMessage(message, STATUS_PROBLEM_MS)

    def _after_change(self, change: ProfileChange) -> ProfileChange:
        """Refreshes the menu and says a failed write; returns ``change``."""
        self.fill_open_menu()
        if change.done and change.problem:
            self._show_problem(change.problem)
        return change

    @staticmethod
    def profile_from_tab(tab: ConnectionTab, name: str, *, save_secrets: bool = False) -> Profile:
        """What ``tab`` would be saved as: its URL, options, ping and reconnect settings
        (a relay tab: its upstream URL, listen address, allowed origins, upstream options and breakpoint rules)."""
        # A tab whose options were never shown has the defaults: its form is not made for this.
        form = tab.made_dock_parts()[0]
        options = form.options() if form is not None else ConnectOptions()
        if getattr(tab, "is_relay", False):
            bar = tab.connection_bar
            return ProfileBook.make_relay(
                name, bar.url, bar.listen, options, save_secrets=save_secrets,
                break_rules=tab.saved_rules(), allowed_origins=bar.allowed_origins,
            )
        return ProfileBook.make(
            name,
            tab.connection_bar.url,
            options,
            form.pings.settings() if form is not None else PingSettings(),
            (tab.reconnect.enabled, tab.reconnect.policy),
            save_secrets=save_secrets,
        )

    def save(self, name: str, *, save_secrets: bool = False, tab: ConnectionTab | None = None) -> bool:
        """Saves ``tab`` (None: the current one) as profile ``name``; True if it is on disk."""
        tab = tab if tab is not None else self._current_tab()
        if not name.strip():
            return False
        change = self._after_change(self.book.save(self.profile_from_tab(tab, name, save_secrets=save_secrets)))
        if change.on_disk:
            self._window.statusBar().showMessage(f'Saved profile "{name.strip()}" to {self.store.path}', 10000)
        return change.on_disk

    def open(self, name: str) -> ConnectionTab | None:
        """Opens profile ``name`` in the current tab if it is unused, else in a new tab; None if there is none.

        Unused: closed, nothing in its log and not renamed.  The tab takes the profile's name.
        """
        profile = self.store.get(name)
        if profile is None:
            return None
        if profile.kind == RELAY_KIND:
            return self._open_relay(profile)
        current = self._current_tab()
        unused = (
            current is not None
            and not getattr(current, "is_relay", False)
            and current.ready_state == ReadyState.CLOSED
            and len(current.log) == 0
            and not current.has_custom_title
            and not current.reconnect.is_active
        )
        tab = current if unused else self._new_tab(profile.url)
        for problem in self.apply(profile, tab):
            tab.log.add_event(EntryKind.ERROR, problem)
        tab.set_title(profile.name)
        tab.log.add_event(EntryKind.STATE, ProfileBook.open_notes(profile)[3])
        return tab

    def _open_relay(self, profile: Profile) -> RelayTab:
        """Opens a relay profile in a new relay tab, not started (the user checks the addresses first)."""
        tab = self.open_relay(profile)
        tab.set_title(profile.name)
        tab.log.add_event(EntryKind.STATE, ProfileBook.open_notes(profile)[3])
        return tab

    def open_relay(self, profile: Profile) -> RelayTab:
        """A new relay tab in the window with ``profile``'s addresses, origins, options and rules (see :meth:`open_relay_in`)."""
        return self.open_relay_in(self._window, profile)

    @staticmethod
    def open_relay_in(window: QMainWindow, profile: Profile) -> RelayTab:
        """A new relay tab in ``window`` with ``profile``'s addresses, origins, options and rules,
        not started; a rule that cannot be restored is an error entry in its log."""
        tab = window.new_relay_tab(profile.url, profile.listen)
        tab.connection_bar.set_allowed_origins(profile.allowed_origins)
        if _needs_form(tab, profile):
            tab.options_form.set_options(profile.options)
        for problem in tab.restore_rules(profile.break_rules):
            tab.log.add_event(EntryKind.ERROR, f"profile {profile.name!r}: {problem}")
        return tab

    @staticmethod
    def default_profile(name: str, url: str) -> Profile:
        """What :meth:`profile_from_tab` gives for a new tab on ``url``, named ``name``, never changed."""
        return ProfileBook.make(name, url, ConnectOptions(), PingSettings(), (False, ReconnectPolicy()))

    @staticmethod
    def apply(profile: Profile, tab: ConnectionTab) -> list[str]:
        """Gives connection ``tab`` the URL, options, pings and reconnect settings of ``profile``.

        Returns:
            What was wrong with its reconnect settings (the defaults were used), for the log.
        """
        tab.connection_bar.set_url(profile.url)
        if _needs_form(tab, profile):
            tab.options_form.set_options(profile.options)
            tab.options_form.pings.set_settings(profile.pings)
        enabled, policy, problems, _note = ProfileBook.open_notes(profile)
        tab.reconnect.set_policy(policy)
        tab.reconnect.set_enabled(enabled)
        return problems

    def rename(self, old: str, new: str) -> ProfileChange:
        """Renames profile ``old`` to ``new`` in place; refused if ``new`` is empty or taken."""
        return self._after_change(self.book.rename(old, new))

    def delete(self, name: str) -> ProfileChange:
        """Deletes profile ``name``; refused if there is none."""
        return self._after_change(self.book.delete(name))

    def show_save_dialog(self) -> SaveProfileDialog:
        """Asks for a name and saves the current tab as a profile (window-modal, returns at once)."""
        tab = self._current_tab()
        dialog = profiles_ui().SaveProfileDialog(self.store, tab.title, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save(dialog.name, save_secrets=dialog.save_secrets, tab=tab))
        dialog.open()
        return dialog

    def show_profiles_dialog(self) -> ProfilesDialog:
        """Shows the profiles list (open, rename, delete); not modal."""
        if self._dialog is None:
            dialog = profiles_ui().ProfilesDialog(self.store, self._window)
            dialog.open_requested.connect(self.open)
            dialog.rename_requested.connect(self._on_rename_requested)
            dialog.delete_requested.connect(self._on_delete_requested)
            self._dialog = dialog
        self._dialog.refresh()
        self._dialog.show_problem("")
        self._dialog.show()
        self._dialog.raise_()
        return self._dialog

    def _on_rename_requested(self, old: str, new: str) -> None:
        change = self.rename(old, new)
        if change.done:
            self._dialog.show_problem("")
            self._dialog.refresh(select=new.strip())
        else:
            self._dialog.show_problem(f"Cannot rename: {change.problem}.")
            self._dialog.refresh(select=old)

    def _on_delete_requested(self, name: str) -> None:
        # Imported here: PySide builds a class's enums on its first use, which a start need not pay.
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self._dialog, "Delete profile?", f'Delete the profile "{name}"?')
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(name)
            self._dialog.refresh()

    def fill_open_menu(self) -> None:
        """Lists the profiles in File > Open profile (a password in a URL shows as ***)."""
        menu = self.open_menu
        menu.clear()
        for name in self.store.names():
            action = menu.addAction(name)
            action.setToolTip(redact_url(self.store.get(name).url))
            action.triggered.connect(lambda _checked=False, n=name: self.open(n))
        if not self.store.names():
            menu.addAction("(no saved profiles)").setEnabled(False)
        menu.setToolTipsVisible(True)


def _needs_form(tab: ConnectionTab | RelayTab, profile: Profile) -> bool:
    """Whether giving ``tab`` the profile's options takes its form: not when the form is not made
    yet (the tab has the defaults) and the profile has the defaults too."""
    made = tab.made_dock_parts()[0] is not None
    return made or profile.options != ConnectOptions() or profile.pings != PingSettings()
