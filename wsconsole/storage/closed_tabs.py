"""Closed tabs, kept so that File > Reopen closed tab can bring them back, drafts and all.

A tab closed with Ctrl+W, and every tab left open when the window closed, is
pushed here as a :class:`ClosedTab`: where it pointed and how (a
:class:`~wsconsole.storage.profiles.Profile`, written without passwords and
tokens, as a profile is unless told otherwise), the name the user gave it, and
what its composer held unsent.  The log is not kept: File > Export log is the
way to keep one, and the quit and close boxes say so.

The store is a stack, the latest closed last, in ``closed_tabs.json`` in the
user's config directory::

    {"format": 1, "tabs": [{"key": "9f0c...", "closed_at": "2026-12-08T05:30:00Z",
      "how": "quit", "embedded": true, "custom_title": false,
      "draft": {"mode": "json", "payload": "{\\"op\\": "}, "profile": {...}}]}

- ``how`` is ``"closed"`` (the user closed the tab) or ``"quit"`` (it was open
  when the window closed); the tabs of one quit share their ``closed_at``.
- ``embedded``: the tab pointed at the window's own echo server, whose port
  may differ in the next run; the window points it at the server it has.
- At most :data:`CLOSED_TABS_MAX` tabs are kept, and drafts of at most
  :data:`~wsconsole.storage.messages.MAX_KEPT_PAYLOAD_CHARS` characters each
  (a bigger one is a paste, whose source still has it), together within
  :data:`~wsconsole.storage.jsonread.MAX_FILE_PAYLOAD_CHARS`: the oldest go first.

Loading never raises and saving is atomic, as for every store (see
:class:`~wsconsole.storage.jsonstore.JsonFileStore`); two windows' saves are
merged by each tab's ``key``, so a tab one window reopened is gone from the
file and one the other closed meanwhile stays.

No Qt, no threads: use a store from one thread (the GUI's).
"""

from __future__ import annotations

import calendar
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wsconsole.errors import ClosedTabsStoreError
from wsconsole.storage import userfiles
from wsconsole.storage.jsonread import MAX_FILE_PAYLOAD_CHARS
from wsconsole.storage.jsonstore import JsonFileStore
from wsconsole.storage.messages import MAX_KEPT_PAYLOAD_CHARS, MODES, HistoryEntry
from wsconsole.storage.profiles import Profile, config_dir

__all__ = [
    "CLOSED",
    "CLOSED_TABS_FILE_NAME",
    "CLOSED_TABS_MAX",
    "QUIT",
    "STAMP_FORMAT",
    "ClosedTab",
    "ClosedTabsStore",
    "retargeted",
    "stamp_seconds",
    "utc_stamp",
]

CLOSED_TABS_FILE_NAME = "closed_tabs.json"
CLOSED_TABS_MAX = 30
"""How many closed tabs are kept; the oldest go first."""
CLOSED = "closed"
"""A tab the user closed."""
QUIT = "quit"
"""A tab open when the window closed."""
_HOWS = (CLOSED, QUIT)


STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""How ``closed_at`` (and an open-tabs snapshot's ``saved_at``) is written: UTC, to the second."""


def utc_stamp() -> str:
    """Now, as :data:`STAMP_FORMAT` writes it."""
    return time.strftime(STAMP_FORMAT, time.gmtime())


def stamp_seconds(stamp: str) -> float | None:
    """Seconds since the epoch of a :data:`STAMP_FORMAT` stamp; None for one that is not."""
    try:
        return float(calendar.timegm(time.strptime(stamp, STAMP_FORMAT)))
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class ClosedTab:
    """A closed tab: what reopening it brings back.

    Attributes:
        profile: Its URL, options, pings and reconnect settings (a relay's listen address,
            origins and rules), as saved: without secrets.  ``profile.name`` is the tab's title.
        custom_title: Whether the user named the tab (else the title follows the URL).
        draft: What its composer held unsent; None for nothing.
        embedded: It pointed at the window's own echo server.
        how: :data:`CLOSED` or :data:`QUIT`.
        closed_at: When, as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC).
        key: Says which tab this is, across windows and runs (random hex).
    """

    profile: Profile
    custom_title: bool = False
    draft: HistoryEntry | None = None
    embedded: bool = False
    how: str = CLOSED
    closed_at: str = ""
    key: str = ""

    @classmethod
    def make(cls, profile: Profile, *, custom_title: bool = False, draft: tuple[str, str] | None = None,
             embedded: bool = False, how: str = CLOSED, closed_at: str | None = None) -> ClosedTab:
        """A tab closed now (or at ``closed_at``), with a fresh key; an empty draft, or one over
        MAX_KEPT_PAYLOAD_CHARS, keeps none.

        Raises:
            ValueError: ``how`` is not CLOSED or QUIT, or the draft's mode is not one of MODES.
        """
        if how not in _HOWS:
            raise ValueError(f"how must be one of {', '.join(_HOWS)}, not {how!r}")
        kept = None
        if draft is not None and draft[1] and len(draft[1]) <= MAX_KEPT_PAYLOAD_CHARS:
            if draft[0] not in MODES:
                raise ValueError(f"unknown mode {draft[0]!r}; known: {', '.join(MODES)}")
            kept = HistoryEntry(*draft)
        return cls(profile.as_saved(), custom_title, kept, embedded, how, closed_at or utc_stamp(), os.urandom(8).hex())

    @staticmethod
    def from_dict(data: Any, what: str) -> tuple[ClosedTab | None, list[str]]:
        """Reads :meth:`to_dict` output: ``(tab, problems)``; tab None when it cannot be used.

        Args:
            data: The JSON value.
            what: What the problems call it ("closed tab 3").
        """
        if not isinstance(data, Mapping):
            return None, [f"{what} must be an object, not {userfiles.json_type(data)}"]
        key, closed_at, how = data.get("key"), data.get("closed_at", ""), data.get("how", CLOSED)
        if not isinstance(key, str) or not key:
            return None, [f"{what} has no key"]
        profile, problems = Profile.from_dict(data.get("profile"))
        if profile is None:
            return None, [f"{what}: {problem}" for problem in problems]
        problems = [f"{what}: {problem}" for problem in problems]
        if how not in _HOWS:
            problems.append(f"{what}: how must be one of {', '.join(_HOWS)}, not {userfiles.json_type(how)}")
            how = CLOSED
        if not isinstance(closed_at, str):
            closed_at = ""
        flags = {}
        for name in ("embedded", "custom_title"):
            value = data.get(name, False)
            if not isinstance(value, bool):
                problems.append(f"{what}: {name} must be true or false, not {userfiles.json_type(value)}")
                value = False
            flags[name] = value
        draft = None
        raw = data.get("draft")
        if raw is not None:
            mode, payload = (raw.get("mode"), raw.get("payload")) if isinstance(raw, Mapping) else (None, None)
            if mode not in MODES or not isinstance(payload, str):
                problems.append(f"{what}: its unsent draft cannot be read; it was not restored")
            elif len(payload) > MAX_KEPT_PAYLOAD_CHARS:
                problems.append(f"{what}: its unsent draft is over {MAX_KEPT_PAYLOAD_CHARS:,} characters; it was not restored")
            else:
                draft = HistoryEntry(mode, payload)
        return ClosedTab(profile, flags["custom_title"], draft, flags["embedded"], how, closed_at, key), problems

    def to_dict(self) -> dict[str, Any]:
        saved: dict[str, Any] = {
            "key": self.key, "closed_at": self.closed_at, "how": self.how, "embedded": self.embedded,
            "custom_title": self.custom_title, "profile": self.profile.to_dict(),
        }
        if self.draft is not None:
            saved["draft"] = {"mode": self.draft.mode, "payload": self.draft.payload}
        return saved


class ClosedTabsStore(JsonFileStore):
    """The closed tabs, the latest last, kept in ``closed_tabs.json``.

    Args:
        directory: Where the file lives; None for the user's config directory.
        max_tabs: How many to keep (at least 1).
        environ: The environment for the config directory; None for ``os.environ``.

    Attributes:
        path: The file.
        problems: What :meth:`load` found wrong, for people; empty when all was well.
    """

    list_key = "tabs"
    item_keys = ("key", "closed_at", "how", "embedded", "custom_title", "draft", "profile")
    item_identity = ("key",)
    kind_name = "a wsconsole closed tabs file"

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_tabs: int = CLOSED_TABS_MAX,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if max_tabs < 1:
            raise ValueError(f"max_tabs must be at least 1, not {max_tabs}")
        base = Path(directory) if directory is not None else config_dir(environ)
        super().__init__(
            base / CLOSED_TABS_FILE_NAME,
            nothing_loaded="no closed tabs were loaded",
            write_error=ClosedTabsStoreError,
            json_indent=1,
        )
        self.max_tabs = max_tabs
        self._tabs: list[ClosedTab] = []

    def __len__(self) -> int:
        return len(self._tabs)

    @property
    def tabs(self) -> list[ClosedTab]:
        """Every closed tab, the latest closed last."""
        return list(self._tabs)

    def push(self, tab: ClosedTab) -> None:
        """Keeps ``tab`` as the latest closed; the oldest go past :attr:`max_tabs` or the characters kept."""
        self._tabs = [kept for kept in self._tabs if kept.key != tab.key] + [tab]
        self._trim()

    def pop(self, key: str | None = None) -> ClosedTab | None:
        """Takes out the tab of ``key`` (None: the latest closed); None if there is none."""
        for index in range(len(self._tabs) - 1, -1, -1):
            if key is None or self._tabs[index].key == key:
                return self._tabs.pop(index)
        return None

    def last_quit(self) -> list[ClosedTab]:
        """The tabs the last quit left (the latest tabs, while they are of one quit), the latest first."""
        tabs = []
        for tab in reversed(self._tabs):
            if tab.how != QUIT or (tabs and tab.closed_at != tabs[0].closed_at):
                break
            tabs.append(tab)
        return tabs

    def save(self) -> None:
        """Writes every closed tab, atomically.

        Raises:
            ClosedTabsStoreError: Not written; the file on disk is untouched.
        """
        self._write_document(self._document(self._items()))

    def _trim(self) -> None:
        drop, total = max(0, len(self._tabs) - self.max_tabs), 0
        for tab in self._tabs[drop:]:
            total += len(tab.draft.payload) if tab.draft is not None else 0
        while total > MAX_FILE_PAYLOAD_CHARS and drop < len(self._tabs) - 1:  # never the latest
            draft = self._tabs[drop].draft
            total -= len(draft.payload) if draft is not None else 0
            drop += 1
        del self._tabs[:drop]

    def _clear(self) -> None:
        self._tabs = []

    def _load_items(self, items: list[Any], document: dict[str, Any]) -> None:
        for index, raw in enumerate(items):
            tab, problems = ClosedTab.from_dict(raw, f"closed tab {index + 1}")
            if tab is None:
                self._skip(raw, problems[0])
                continue
            for problem in problems:
                self._lost(problem)
            self.push(tab)

    def _items(self) -> list[Any]:
        return [tab.to_dict() for tab in self._tabs]


def retargeted(tab: ClosedTab, server_url: str) -> ClosedTab:
    """``tab`` (an :attr:`~ClosedTab.embedded` one) pointed at the echo server at ``server_url``,
    the one the window has now: its scheme, host and port, with the tab's own path and query."""
    saved, server = urlsplit(tab.profile.url), urlsplit(server_url)
    url = urlunsplit((server.scheme, server.netloc, saved.path or server.path, saved.query, saved.fragment))
    return replace(tab, profile=replace(tab.profile, url=url))
