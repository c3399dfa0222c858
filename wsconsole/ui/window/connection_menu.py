"""The Connection menu: the current tab's frequent actions, each with a key.

Each action does what its button does (the button's click, so a disabled
button's action does nothing, and the same checks run).  The composer's
"clear after Send" habit is here too, remembered in ``ui.ini``.  GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from wsconsole.ui.window.settings import set_setting, setting_flag

if TYPE_CHECKING:
    from wsconsole.ui.connection.tab import ConnectionTab

CLEAR_AFTER_SEND_KEY = "composer/clearAfterSend"
CLEAR_AFTER_SEND_BY_DEFAULT = True
"""Cleared, as Postman and Insomnia do: the next packet is typed fresh, never appended to the
last one, and the sent text is not lost: it is in the log and Up in the composer brings it back."""


@dataclass(frozen=True, slots=True)
class ConnectionActions:
    """The Connection menu's actions, in menu order."""

    connect: QAction
    ping: QAction
    close: QAction
    focus_filter: QAction
    focus_composer: QAction
    clear_after_send: QAction

    def all(self) -> list[QAction]:
        return [self.connect, self.ping, self.close, self.focus_filter, self.focus_composer, self.clear_after_send]


def connection_actions(window: QMainWindow, current_tab: Callable[[], ConnectionTab]) -> ConnectionActions:
    """Makes the Connection menu's actions on ``window`` (added to it, so the keys work anywhere in it)."""

    def action(text: str, key: str, name: str, slot: Callable[[], object]) -> QAction:
        made = QAction(text, window, shortcut=QKeySequence(key), objectName=name)
        made.triggered.connect(lambda _checked=False: slot())
        window.addAction(made)
        return made

    def focus(widget, *, select: bool) -> None:
        widget.setFocus()
        if select:  # the search, to type over; the composer keeps its draft and cursor
            widget.selectAll()

    clear_after_send = QAction("C&lear the composer after Send", window, checkable=True, objectName="clearAfterSendAction")
    clear_after_send.setChecked(setting_flag(CLEAR_AFTER_SEND_KEY, CLEAR_AFTER_SEND_BY_DEFAULT))
    clear_after_send.toggled.connect(lambda on: set_setting(CLEAR_AFTER_SEND_KEY, on))
    return ConnectionActions(
        connect=action("&Connect / Disconnect", "Ctrl+Shift+C", "connectAction",
                       lambda: current_tab().connection_bar.connect_button.click()),
        ping=action("&Ping", "Ctrl+Shift+P", "pingAction", lambda: current_tab().connection_bar.ping_button.click()),
        close=action("Close with code and &reason", "Ctrl+Shift+X", "closeConnectionAction",
                     lambda: current_tab().close_panel.close_button.click()),
        focus_filter=action("Search the &log", "Ctrl+F", "focusFilterAction",
                            lambda: focus(current_tab().filter_bar.search_edit, select=True)),
        focus_composer=action("&Write a message", "Ctrl+E", "focusComposerAction",
                              lambda: focus(current_tab().composer.message_edit, select=False)),
        clear_after_send=clear_after_send,
    )
