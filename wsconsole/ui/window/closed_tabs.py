"""Reopening closed tabs: File > Reopen closed tab (Ctrl+Shift+T) and File > Recently closed tabs.

A tab the user closes, and every tab still open when the window closes, is
kept in :class:`~wsconsole.storage.closed_tabs.ClosedTabsStore` with its
address, settings, name and unsent draft, so what the user typed in any tab
is there in the next run, one key away.  At the start, the tab that pointed at
the embedded echo server when the window last closed comes back into the first
tab (its draft and name, pointed at the server the window has now); the status
bar says how many more wait.  The window's tabs are not reopened by
themselves: the first tab at the start stays the embedded server's alone, as
scripts expect.

While the window runs, its open tabs are kept on disk every
:data:`AUTOSAVE_INTERVAL_MS` when they changed
(:class:`~wsconsole.storage.open_tabs.OpenTabsSnapshot`): a window that
crashed or was killed leaves them, and the next start takes them as the tabs of
a quit.  GUI thread only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from wsconsole.errors import ClosedTabsStoreError
from wsconsole.session.entries import EntryKind
from wsconsole.storage.closed_tabs import (
    CLOSED,
    QUIT,
    ClosedTab,
    ClosedTabsStore,
    retargeted,
    stamp_seconds,
    utc_stamp,
)
from wsconsole.storage.open_tabs import OpenTabsSnapshot
from wsconsole.storage.profiles import RELAY_KIND
from wsconsole.text.redact import redact_url
from wsconsole.ui.timers import set_interval
from wsconsole.ui.window.profile_actions import ProfileActions

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab

REOPEN_NOTE_MS = 15_000
"""How long the status bar says that the last run's tabs can be reopened."""
CLOSED_NOTE_MS = 6_000
"""How long the status bar says, after a tab closed, that Ctrl+Shift+T brings it back."""
MENU_ITEMS_MAX = 15
"""Closed tabs listed in File > Recently closed tabs, the latest first."""
AUTOSAVE_INTERVAL_MS = 30_000
"""How often the open tabs are kept on disk (when they changed), so a crash loses at most this much typing."""


class ClosedTabs(QObject):
    """Keeps ``window``'s closed tabs and reopens them.

    Args:
        window: Its status bar says what happened; gets :attr:`reopen_action` as a shortcut.
        server_url: The embedded echo server's URL; "" when it is not running.
        new_tab: Adds and shows a connection tab with this URL.
        open_tabs: The window's tabs, left to right (kept on disk every AUTOSAVE_INTERVAL_MS).
        directory: The config directory; None for the user's.

    Attributes:
        reopen_action: ``reopenTabAction``, Ctrl+Shift+T: the latest closed tab back.
        menu: ``closedTabsMenu``, the latest closed tabs, each reopened by a click.
        store: The closed tabs (loaded, with what crashed windows left, when this is made).
        snapshot: This window's open tabs on disk.
    """

    def __init__(
        self,
        window: QMainWindow,
        server_url: Callable[[], str],
        new_tab: Callable[[str], ConnectionTab],
        open_tabs: Callable[[], list[ConnectionTab]],
        directory: str | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._server_url = server_url
        self._new_tab = new_tab
        self._open_tabs = open_tabs
        self.store = ClosedTabsStore(directory)
        self.problems = self.store.load()
        self._told_failure = False
        # The tabs of windows that ended without closing (a crash, a kill) join the closed
        # tabs, as if they had quit; this window's own are kept on disk as it goes.
        self.snapshot = OpenTabsSnapshot(directory)
        recovered = self.snapshot.recover_left()
        self.problems += recovered.problems
        self._recovered_at = recovered.saved_at if recovered.tabs else ""
        for closed in reversed(recovered.tabs):  # a stack: the leftmost on top
            self.store.push(replace(closed, how=QUIT, closed_at=recovered.saved_at))
        if recovered.tabs:
            self._save()
        self._autosave_timer = QTimer(self)
        set_interval(self._autosave_timer, AUTOSAVE_INTERVAL_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()
        self.reopen_action = QAction("Re&open closed tab", window, objectName="reopenTabAction")
        self.reopen_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.reopen_action.setStatusTip("Brings back the latest closed tab: its address, settings, name and unsent draft")
        self.reopen_action.triggered.connect(lambda: self.reopen())
        window.addAction(self.reopen_action)
        self.menu = QMenu("Recently closed &tabs", window, objectName="closedTabsMenu")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._fill_menu)

    def report_problems(self, tab: ConnectionTab) -> None:
        """Puts what the load found wrong with the file in ``tab``'s log, and the first in the status bar."""
        for problem in self.problems:
            tab.log.add_event(EntryKind.ERROR, f"closed tabs: {problem}")
        if self.problems:
            self._window.statusBar().showMessage(f"Closed tabs: {self.problems[0]} (see the log)", 30_000)

    # -- keeping ----------------------------------------------------------------------

    def remember(self, tab: ConnectionTab) -> None:
        """Keeps ``tab``, just closed by the user, and says that Ctrl+Shift+T brings it back."""
        closed = self._closed(tab, CLOSED)
        if closed is None:
            return
        self.store.push(closed)
        if self._save():
            self._window.statusBar().showMessage(
                f"Closed “{tab.title}”: Ctrl+Shift+T reopens it, with its unsent draft", CLOSED_NOTE_MS
            )

    def window_closing(self, tabs: Iterable[ConnectionTab]) -> None:
        """Keeps every tab still open (the window closes), the leftmost to be reopened first.

        A tab that would bring nothing back is left out: on the embedded server's URL, not
        renamed, with the default settings and an empty composer (the next start makes one).
        """
        self._autosave_timer.stop()
        kept = self._kept_open(tabs)
        if kept or self.store.path.exists():
            for closed in reversed(kept):  # a stack: the leftmost on top
                self.store.push(closed)
            if not self._save():
                # The snapshot stays, brought up to date: the next start gets the tabs from it.
                with contextlib.suppress(OSError):
                    self.snapshot.write(kept)
                return
        self.snapshot.release()

    def autosave(self) -> None:
        """Keeps the open tabs on disk if they changed since the last time (the timer's slot; never raises)."""
        try:
            self.snapshot.write(self._kept_open(self._open_tabs()))
        except Exception as exc:  # noqa: BLE001 - from a timer: must not raise into Qt
            if not self._told_failure:
                self._told_failure = True
                self._window.statusBar().showMessage(f"Open tabs not kept on disk: {exc}", 30_000)

    def _kept_open(self, tabs: Iterable[ConnectionTab]) -> list[ClosedTab]:
        """What the window's open ``tabs`` leave if it closes now, left to right."""
        closed_at = utc_stamp()
        return [closed for tab in tabs if (closed := self._closed(tab, QUIT, closed_at)) is not None]

    def _closed(self, tab: ConnectionTab, how: str, closed_at: str | None = None) -> ClosedTab | None:
        """What reopening ``tab`` brings back; None for an imported capture or a tab that holds nothing."""
        if tab.read_only:  # an imported capture: the file has it
            return None
        profile = ProfileActions.profile_from_tab(tab, tab.title)
        content = tab.composer.content()
        draft = content if content is not None and content[1] else None
        embedded = self._on_server(profile.url)
        relay = getattr(tab, "is_relay", False)
        if not relay and draft is None and not tab.has_custom_title and (embedded or not profile.url.strip()):
            defaults = ProfileActions.default_profile(profile.name, profile.url)
            if profile == defaults:
                return None
        return ClosedTab.make(profile, custom_title=tab.has_custom_title, draft=draft, embedded=embedded,
                              how=how, closed_at=closed_at)

    def _on_server(self, url: str) -> bool:
        server = self._server_url()
        if not server or not url.strip():
            return False
        try:
            return urlsplit(url).netloc == urlsplit(server).netloc
        except ValueError:  # a malformed URL the user typed: not the server's
            return False

    # -- reopening --------------------------------------------------------------------

    def restore_first(self, tab: ConnectionTab) -> str:
        """At the start: gives ``tab`` (the first, on the embedded server) the embedded tab the last
        quit left: its draft, name and settings, pointed at the server the window has now.

        Returns:
            What to say in the status bar about the other tabs the last quit left; "" for none.
        """
        waiting, restored = self.store.last_quit(), False
        if waiting and waiting[0].embedded and self._server_url():
            closed = self.store.pop(waiting[0].key)
            self._fill(tab, retargeted(closed, self._server_url()), in_place=True)
            self._save()
            waiting, restored = waiting[1:], True
        if not waiting:
            return ""
        # Short enough for the status bar at 1280 px beside its buttons.
        count = len(waiting)
        tabs = f"{count} {'more ' if restored else ''}tab{'s' if count > 1 else ''}"
        if self._recovered_at and waiting[0].closed_at == self._recovered_at:
            said = f"{tabs} from a window that ended without closing (kept{_local_time(self._recovered_at)})"
        else:
            said = f"{tabs} {'were' if count > 1 else 'was'} open when wsconsole last closed"
        return f"{said}: Ctrl+Shift+T (File > Reopen closed tab) reopens {'them, one a press' if count > 1 else 'it'}"

    def reopen(self, key: str | None = None) -> ConnectionTab | None:
        """Reopens the closed tab of ``key`` (None: the latest) at the end, not connected; None if none is left."""
        closed = self.store.pop(key)
        if closed is None:
            self._window.statusBar().showMessage("No closed tab to reopen", CLOSED_NOTE_MS)
            return None
        if closed.embedded and self._server_url():
            closed = retargeted(closed, self._server_url())
        profile = closed.profile
        if profile.kind == RELAY_KIND:
            tab = ProfileActions.open_relay_in(self._window, profile)
        else:
            tab = self._new_tab(profile.url)
        self._fill(tab, closed, in_place=False)
        self._save()
        return tab

    def _fill(self, tab: ConnectionTab, closed: ClosedTab, *, in_place: bool) -> None:
        profile = closed.profile
        if profile.kind != RELAY_KIND:
            for problem in ProfileActions.apply(profile, tab):
                tab.log.add_event(EntryKind.ERROR, problem)
        if closed.custom_title:
            tab.set_title(profile.name)
        if closed.draft is not None and not tab.composer.message_edit.toPlainText():
            tab.composer.set_content(closed.draft.mode, closed.draft.payload)  # as an edit Ctrl+Z undoes
        if not in_place:
            # In the status bar, not the log: a log entry would make closing the tab again ask
            # about throwing its log away.
            how = "open at the quit" if closed.how == QUIT else "closed"
            self._window.statusBar().showMessage(
                f"Reopened “{tab.title}”, {how}{_local_time(closed.closed_at)}: its address, settings and "
                "unsent draft (not its log, nor passwords and tokens)", REOPEN_NOTE_MS,
            )

    def _fill_menu(self) -> None:
        self.menu.clear()
        tabs = list(reversed(self.store.tabs))[:MENU_ITEMS_MAX]
        for closed in tabs:
            draft = closed.draft.payload.strip().splitlines()[0][:40] if closed.draft and closed.draft.payload.strip() else ""
            text = closed.profile.name + (f" — “{draft}”" if draft else "")
            action = self.menu.addAction(text.replace("&", "&&"))
            action.setToolTip(f"{redact_url(closed.profile.url)}, closed{_local_time(closed.closed_at)}")
            action.triggered.connect(lambda _checked=False, key=closed.key: self.reopen(key))
        if not tabs:
            self.menu.addAction("(no closed tabs)").setEnabled(False)

    def _save(self) -> bool:
        try:
            self.store.save()
        except ClosedTabsStoreError as exc:
            if not self._told_failure:  # once, not at each tab closed
                self._told_failure = True
                self._window.statusBar().showMessage(f"{exc}; closed tabs are kept for this run only", 30_000)
            return False
        return True


def _local_time(closed_at: str) -> str:
    """`` at 14:05`` (today) or `` on 2026-12-07 14:05``, in local time; "" if unknown."""
    seconds = stamp_seconds(closed_at)
    try:
        when = time.localtime(seconds) if seconds is not None else None
    except (OverflowError, OSError):  # a year localtime cannot hold
        when = None
    if when is None:
        return ""
    if time.strftime("%Y-%m-%d", when) == time.strftime("%Y-%m-%d"):
        return time.strftime(" at %H:%M", when)
    return time.strftime(" on %Y-%m-%d %H:%M", when)

