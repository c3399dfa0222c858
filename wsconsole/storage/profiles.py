"""Saved connection profiles and recent URLs, kept in one JSON file.

A :class:`Profile` is a name, a URL, :class:`~wsconsole.client.options.ConnectOptions`,
reconnect settings and :class:`PingSettings`.  :class:`ProfileStore` loads and
saves every profile and a most-recent-first list of URLs as ``profiles.json``
in the user's config directory (:func:`config_dir`)::

    {"format": 1, "profiles": [{"name": ..., "url": ..., "options": {...},
     "reconnect": {...}, "pings": {...}, "save_secrets": false}], "recent_urls": [...]}

A profile's ``kind`` is ``"connection"`` (a tab that connects to ``url``) or
``"relay"`` (a relay tab: ``url`` is the upstream, ``"listen"`` its
``HOST:PORT``, ``"allowed_origins"`` the web pages it lets in, the options the upstream leg's, ``"break_rules"`` its
breakpoints); files written before kinds existed hold connections, and a
relay saved before rules were kept has none.  A key missing from a profile (``pings`` in files written before it existed)
reads as its default.  So does an options' ``max_packet_bytes`` of ``null``,
which 0.1 wrote for its default of no limit: such a profile gets the 64 MiB
default (see :meth:`ConnectOptions.from_dict`); no limit is saved as 0.

- Saving is atomic: a temporary file in the same directory, flushed to disk,
  then renamed over the old one, so a crash leaves the old file or the new
  one, never a truncated mix.
- Loading never raises.  A file that cannot be read or parsed is renamed
  ``profiles.json.corrupt-<UTC time>`` (kept for the user, not overwritten)
  and reported in :attr:`ProfileStore.problems`; the store starts empty.
  Keys this version does not know (a newer wsconsole wrote them) and
  profiles it cannot read are kept and written back; a value replaced by
  its default leaves a copy of the file as it was (``profiles.json.kept-<UTC time>``).
- Passwords and tokens (headers :func:`~wsconsole.text.redact.is_secret_header`
  calls secret: :data:`SECRET_HEADERS`, ``X-Api-Key`` and the like, and those
  the user marked; basic auth's password, the bearer token, cookies, a
  proxy's or URL's password) are written only for a profile whose
  ``save_secrets`` is True; recent URLs never keep a password.

No Qt, no threads.  A store is not thread-safe: use it from one thread (the
GUI's).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsconsole.client.options import ConnectOptions
from wsconsole.errors import ProfileStoreError
from wsconsole.storage import userfiles
from wsconsole.storage.jsonstore import JsonFileStore
from wsconsole.text.redact import is_secret_header, strip_url_password

__all__ = [
    "BREAK_RULE_FIELDS",
    "CONFIG_DIR_ENV",
    "CONNECTION_KIND",
    "DEFAULT_RELAY_LISTEN",
    "FORMAT_VERSION",
    "PROFILES_FILE_NAME",
    "PROFILE_KINDS",
    "RECENT_URLS_MAX",
    "RELAY_KIND",
    "SECRET_HEADERS",
    "PingSettings",
    "Profile",
    "ProfileStore",
    "config_dir",
]

APP_DIR_NAME = userfiles.APP_DIR_NAME
CONFIG_DIR_ENV = "WSCONSOLE_CONFIG_DIR"
"""Environment variable naming the config directory, overriding the platform's."""
PROFILES_FILE_NAME = "profiles.json"
FORMAT_VERSION = 1
"""The ``format`` written; a file with a higher one is read as far as it is understood."""
RECENT_URLS_MAX = 20
"""How many recent URLs are kept by default."""
CONNECTION_KIND = "connection"
"""A profile of a connection tab: ``url`` is where it connects."""
RELAY_KIND = "relay"
"""A profile of a relay tab: ``url`` is the upstream, ``listen`` where clients connect."""
PROFILE_KINDS = (CONNECTION_KIND, RELAY_KIND)
DEFAULT_RELAY_LISTEN = "127.0.0.1:9081"
"""A relay profile's listen address when its file has none."""
BREAK_RULE_FIELDS = {
    "sender": (str, type(None)),
    "packet_type": (str, type(None)),
    "contains": (str,),
    "regex": (str,),
    "min_bytes": (int, type(None)),
    "max_bytes": (int, type(None)),
}
"""A saved breakpoint rule's fields and their JSON types (the relay's ``BreakRule``, which
checks the values when the profile is opened)."""
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
"""Extra headers (lower case) whose values are secrets."""


def config_dir(
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    home: Path | None = None,
) -> Path:
    """Returns wsconsole's per-user config directory (it may not exist yet).

    ``$WSCONSOLE_CONFIG_DIR`` if set; else ``%APPDATA%\\wsconsole`` on Windows
    (the roaming profile: settings follow the user), ``~/Library/Application
    Support/wsconsole`` on macOS, and ``$XDG_CONFIG_HOME/wsconsole`` or
    ``~/.config/wsconsole`` elsewhere (a relative ``XDG_CONFIG_HOME`` is
    ignored, as the XDG Base Directory specification says).

    Args:
        environ: The environment; ``None`` for ``os.environ``.
        platform: ``sys.platform`` value; ``None`` for this one.
        home: The home directory; ``None`` for ``Path.home()``.
    """
    return userfiles.user_dir("config", CONFIG_DIR_ENV, environ, platform, home)


def url_without_password(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part removed; other URLs unchanged.

    Also for text urlsplit refuses (``ws://ann:pw@[::1/`` as typed): a profile
    saved without secrets must not keep one because the URL was malformed.
    """
    return strip_url_password(url)


def _as_float(number: float) -> float:
    """``number`` as a float; infinity for an int no float holds (``float()`` raises OverflowError)."""
    try:
        return float(number)
    except OverflowError:
        return math.inf


@dataclass(frozen=True, slots=True)
class PingSettings:
    """A connection's ping settings: the peer's, not part of :class:`ConnectOptions`.

    Attributes:
        auto_pong: Answer the server's pings (RFC 6455 section 5.5.2); False
            leaves them unanswered, to watch a server's idle timeout.
        interval_s: Seconds between automatic pings; 0 for none.
        payload: What the Ping button sends, as UTF-8; "" for nothing.
    """

    auto_pong: bool = True
    interval_s: float = 0.0
    payload: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"auto_pong": self.auto_pong, "interval_s": self.interval_s, "payload": self.payload}

    @classmethod
    def from_dict(cls, data: Any) -> tuple[PingSettings, list[str]]:
        """Reads :meth:`to_dict` output; never raises.

        Returns:
            ``(settings, problems)``: a missing value is its default, a bad one
            is reported and its default used.  Unknown keys are ignored.
        """
        default = cls()
        if not isinstance(data, Mapping):
            return default, [f"pings must be an object, not {userfiles.json_type(data)}"]
        problems: list[str] = []
        auto_pong = data.get("auto_pong", default.auto_pong)
        if not isinstance(auto_pong, bool):
            problems.append(f"auto_pong must be true or false, not {userfiles.json_type(auto_pong)}")
            auto_pong = default.auto_pong
        interval_s = data.get("interval_s", default.interval_s)
        if isinstance(interval_s, bool) or not isinstance(interval_s, (int, float)):
            problems.append(f"the ping interval must be a number of seconds, not {userfiles.json_type(interval_s)}")
            interval_s = default.interval_s
        elif not (math.isfinite(_as_float(interval_s)) and interval_s >= 0):
            problems.append(f"the ping interval must be 0 (off) or more seconds, not {userfiles.short_repr(interval_s)}")
            interval_s = default.interval_s
        payload = data.get("payload", default.payload)
        if not isinstance(payload, str):
            problems.append(f"the ping payload must be text, not {userfiles.json_type(payload)}")
            payload = default.payload
        return cls(auto_pong, float(interval_s), payload), problems


@dataclass(slots=True)
class Profile:
    """A saved connection: where to, with what, and how to reconnect.

    Attributes:
        name: Unique in a store; shown to the user.
        url: The ws:// or wss:// URL.
        options: Everything else the attempt is given.
        reconnect: Reconnect settings (attempts, backoff...), kept as given:
            JSON-safe values only; empty for none.
        save_secrets: Write passwords and tokens to disk with this profile.
            False (the default): they are left out and must be typed again.
        pings: Auto-pong, the automatic ping interval and the ping payload.
        kind: :data:`CONNECTION_KIND` (files written before kinds existed) or
            :data:`RELAY_KIND`, whose ``options`` are the upstream leg's.
        listen: A relay's ``HOST:PORT``; unused for a connection.
        break_rules: A relay's breakpoint rules, each a dict of :data:`BREAK_RULE_FIELDS`
            (missing ones at the rule's defaults); empty for a connection.
        allowed_origins: The web pages' origins a relay lets in besides
            loopback ones (``--allow-origin``); empty for a connection.
        unknown: Keys a newer version wrote (``"options"``: its unknown
            option keys), written back as they were.
    """

    name: str
    url: str
    options: ConnectOptions = field(default_factory=ConnectOptions)
    reconnect: dict[str, Any] = field(default_factory=dict)
    save_secrets: bool = False
    pings: PingSettings = field(default_factory=PingSettings)
    kind: str = CONNECTION_KIND
    listen: str = ""
    break_rules: tuple[dict[str, Any], ...] = ()
    unknown: dict[str, Any] = field(default_factory=dict, compare=False)
    allowed_origins: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe dict saved; without secrets unless ``save_secrets``."""
        options = self.options if self.save_secrets else _without_secrets(self.options)
        relay = (
            {
                "listen": self.listen,
                "break_rules": [dict(rule) for rule in self.break_rules],
                "allowed_origins": list(self.allowed_origins),
            }
            if self.kind == RELAY_KIND
            else {}
        )
        saved_options = options.to_dict()
        for key, value in self.unknown.get("options", {}).items():
            saved_options.setdefault(key, value)
        saved = {
            "name": self.name,
            "kind": self.kind,
            **relay,
            "url": self.url if self.save_secrets else url_without_password(self.url),
            "options": saved_options,
            "reconnect": dict(self.reconnect),
            "pings": self.pings.to_dict(),
            "save_secrets": self.save_secrets,
        }
        for key, value in self.unknown.items():
            if key != "options":
                saved.setdefault(key, value)
        return saved

    @classmethod
    def from_dict(cls, data: Any) -> tuple[Profile | None, list[str]]:
        """Reads :meth:`to_dict` output.

        Returns:
            ``(profile, problems)``: ``profile`` is None when there is no
            usable name or URL; a field of the wrong type is reported and
            left at its default.  Unknown keys are kept in :attr:`unknown`.
        """
        if not isinstance(data, Mapping):
            return None, [f"a profile must be an object, not {userfiles.json_type(data)}"]
        name, url = data.get("name"), data.get("url")
        if not isinstance(name, str) or not name.strip():
            return None, ["a profile has no name"]
        if not isinstance(url, str):
            return None, [f"profile {name!r} has no URL"]
        problems: list[str] = []
        kind = data.get("kind", CONNECTION_KIND)
        if kind not in PROFILE_KINDS:
            return None, [f"profile {name!r} is of a kind this version does not know ({kind!r}); left out"]
        listen = data.get("listen", DEFAULT_RELAY_LISTEN) if kind == RELAY_KIND else ""
        if not isinstance(listen, str):
            problems.append(f"profile {name!r}: listen must be HOST:PORT text, not {userfiles.json_type(listen)}")
            listen = DEFAULT_RELAY_LISTEN
        break_rules: tuple[dict[str, Any], ...] = ()
        allowed_origins: tuple[str, ...] = ()
        if kind == RELAY_KIND:
            break_rules, rule_problems = _break_rules_from(data.get("break_rules", []))
            problems += [f"profile {name!r}: {message}" for message in rule_problems]
            raw_origins = data.get("allowed_origins", [])
            if isinstance(raw_origins, list) and all(isinstance(origin, str) for origin in raw_origins):
                allowed_origins = tuple(raw_origins)
            else:
                problems.append(
                    f"profile {name!r}: allowed_origins must be a list of texts, not {userfiles.json_type(raw_origins)}"
                    "; none were loaded"
                )
        options = ConnectOptions()
        if "options" in data:
            options, option_problems = ConnectOptions.from_dict(data["options"])
            problems += [
                f"profile {name!r}: {message}" for messages in option_problems.values() for message in messages
            ]
        reconnect: dict[str, Any] = {}
        raw_reconnect = data.get("reconnect", {})
        if isinstance(raw_reconnect, Mapping):
            reconnect = dict(raw_reconnect)
        else:
            problems.append(f"profile {name!r}: reconnect must be an object, not {userfiles.json_type(raw_reconnect)}")
        save_secrets = data.get("save_secrets", False)
        if not isinstance(save_secrets, bool):
            problems.append(f"profile {name!r}: save_secrets must be true or false, not {userfiles.json_type(save_secrets)}")
            save_secrets = False
        pings, ping_problems = PingSettings.from_dict(data.get("pings", {}))
        problems += [f"profile {name!r}: {message}" for message in ping_problems]
        # Keys a newer version wrote are kept and written back, not dropped.
        unknown = {key: value for key, value in data.items() if key not in _PROFILE_KEYS}
        raw_options = data.get("options")
        if isinstance(raw_options, Mapping):
            unknown_options = {key: value for key, value in raw_options.items() if key not in _OPTION_KEYS}
            if unknown_options:
                unknown["options"] = unknown_options
        return cls(
            name, url, options, reconnect, save_secrets, pings, kind, listen, break_rules, unknown, allowed_origins
        ), problems

    def as_saved(self) -> Profile:
        """This profile exactly as it is written to disk (without secrets unless it keeps them).

        A store holds this copy, so a profile opened later in the same session has what it
        would have after a restart, never a password the user chose not to save.
        """
        saved, _problems = Profile.from_dict(self.to_dict())
        assert saved is not None  # to_dict() always writes a name and a URL
        return saved


def _break_rules_from(raw: Any) -> tuple[tuple[dict[str, Any], ...], list[str]]:
    """The saved rules that have the right shape, and a problem for each one left out."""
    if not isinstance(raw, list):
        return (), [f"break_rules must be a list, not {userfiles.json_type(raw)}; none were loaded"]
    rules: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            problems.append(f"break rule {number} must be an object, not {userfiles.json_type(item)}; left out")
            continue
        rule = {key: item[key] for key in BREAK_RULE_FIELDS if key in item}
        wrong = [
            f"{key} cannot be {userfiles.json_type(value)}"
            for key, value in rule.items()
            if isinstance(value, bool) or not isinstance(value, BREAK_RULE_FIELDS[key])
        ]
        if wrong:
            problems.append(f"break rule {number} left out: {'; '.join(wrong)}")
        else:
            rules.append(rule)
    return tuple(rules), problems


_PROFILE_KEYS = frozenset(
    {"name", "kind", "listen", "break_rules", "allowed_origins", "url", "options", "reconnect", "pings", "save_secrets"}
)
_OPTION_KEYS = frozenset(ConnectOptions().to_dict())


def _without_secrets(options: ConnectOptions) -> ConnectOptions:
    """A copy of ``options`` with passwords, tokens and cookies emptied."""
    copy = dataclasses.replace(options)
    copy.headers = [(name, value) for name, value in options.headers if not is_secret_header(name, options.secret_headers)]
    if options.basic_auth is not None:
        copy.basic_auth = (options.basic_auth[0], "")
    copy.bearer_token = ""
    copy.cookies = ""
    copy.proxy = url_without_password(options.proxy)
    return copy


class ProfileStore(JsonFileStore):
    """Every saved profile and the recent URLs, loaded from and saved to one file.

    Nothing is read until :meth:`load` and nothing written until :meth:`save`.

    Args:
        directory: Where ``profiles.json`` lives; None for :func:`config_dir`.
        recent_urls_max: How many recent URLs to keep (at least 1).
        environ: The environment for :func:`config_dir`; None for ``os.environ``.

    Attributes:
        path: The profiles file.
        problems: What :meth:`load` found wrong, for the user to read; empty
            when all was well.
        kept_aside: Where :meth:`load` moved an unreadable file, None if it did not.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        recent_urls_max: int = RECENT_URLS_MAX,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if recent_urls_max < 1:
            raise ValueError(f"recent_urls_max must be at least 1, not {recent_urls_max}")
        base = Path(directory) if directory is not None else config_dir(environ)
        super().__init__(
            base / PROFILES_FILE_NAME,
            nothing_loaded="no profiles were loaded",
            write_error=ProfileStoreError,
            name_failed_step=True,
        )
        self.recent_urls_max = recent_urls_max
        self._profiles: dict[str, Profile] = {}
        self._recent_urls: list[str] = []

    # -- profiles -------------------------------------------------------------

    def names(self) -> list[str]:
        """Profile names, in the order they were first added."""
        return list(self._profiles)

    def profiles(self) -> list[Profile]:
        """Every profile, in the order of :meth:`names`."""
        return list(self._profiles.values())

    def get(self, name: str) -> Profile | None:
        """The profile called ``name``, None if there is none."""
        return self._profiles.get(name)

    def put(self, profile: Profile) -> None:
        """Adds ``profile``, replacing the one with the same name (keeping its place).

        A replaced profile's :attr:`~Profile.unknown` keys (written by a newer
        version) go to ``profile`` if it has none of its own: saving a tab over
        a profile must not drop the settings this version cannot show.
        """
        if not profile.name.strip():
            raise ValueError("a profile needs a name")
        replaced = self._profiles.get(profile.name)
        if replaced is not None and replaced.unknown and not profile.unknown:
            profile.unknown = replaced.unknown
        self._profiles[profile.name] = profile

    def remove(self, name: str) -> bool:
        """Removes the profile called ``name``; returns False if there was none."""
        return self._profiles.pop(name, None) is not None

    def rename(self, old: str, new: str) -> str:
        """Renames profile ``old`` to ``new`` (spaces around it dropped), keeping its place.

        Returns:
            "" once renamed; else why not, for people (no such profile, an
            empty name, a name taken by another profile), and nothing changed.
        """
        new = new.strip()
        if old not in self._profiles:
            return f'there is no profile called "{old}"'
        if not new:
            return "a profile needs a name"
        if new != old and new in self._profiles:
            return f'a profile called "{new}" already exists'
        profiles = list(self._profiles.values())
        self._profiles = {}
        for profile in profiles:
            if profile.name == old:
                profile.name = new
            self._profiles[profile.name] = profile
        return ""

    # -- recent URLs ----------------------------------------------------------

    @property
    def recent_urls(self) -> list[str]:
        """URLs connected to, most recent first, each once (a copy)."""
        return list(self._recent_urls)

    def add_recent_url(self, url: str) -> None:
        """Puts ``url`` first in the recent URLs (moving it if already there).

        Surrounding spaces are dropped, an empty URL is ignored and a
        ``user:password@`` part loses its password; the oldest URLs past
        ``recent_urls_max`` are forgotten.
        """
        url = url_without_password(url.strip())
        if not url:
            return
        self._recent_urls = [url] + [known for known in self._recent_urls if known != url]
        del self._recent_urls[self.recent_urls_max :]

    def clear_recent_urls(self) -> None:
        """Forgets every recent URL."""
        self._recent_urls = []

    # -- disk -----------------------------------------------------------------

    list_key = "profiles"
    other_keys = ("recent_urls",)
    kind_name = "a profiles object"

    def _clear(self) -> None:
        self._profiles, self._recent_urls = {}, []

    def _load_items(self, items: list[Any], document: dict[str, Any]) -> None:
        """Reads the profiles and recent URLs (see :meth:`JsonFileStore.load`, which never raises)."""
        for index, item in enumerate(items):
            profile, problems = Profile.from_dict(item)
            if profile is None:
                self._skip(item, f"profile {index + 1} in {self.path}: {'; '.join(problems)}")
                continue
            for problem in problems:
                self._lost(problem)
            if profile.name in self._profiles:
                self._lost(f"profile {profile.name!r} appears twice; the later one was kept")
            self._profiles[profile.name] = profile
        raw_urls = document.get("recent_urls", [])
        if isinstance(raw_urls, list):
            for url in reversed(raw_urls):
                if isinstance(url, str):
                    self.add_recent_url(url)
        else:
            self._lost(f"recent_urls must be a list, not {userfiles.json_type(raw_urls)}; none were loaded")

    def save(self) -> None:
        """Writes every profile and the recent URLs, atomically.

        Raises:
            ProfileStoreError: The file could not be written; the one on
                disk is untouched and no temporary file is left behind.
        """
        self._write_document(self._document(self._items(), recent_urls=list(self._recent_urls)))

    def _items(self) -> list[Any]:
        return [profile.to_dict() for profile in self._profiles.values()]

    def _merge_others(self, document: dict[str, Any], theirs: dict[str, Any]) -> None:
        # Recent URLs: ours first, then the other window's, as many as are kept.
        urls = document.get("recent_urls", [])
        their_urls = theirs.get("recent_urls", [])
        if isinstance(urls, list) and isinstance(their_urls, list):
            urls = urls + [url for url in their_urls if isinstance(url, str) and url not in urls]
            document["recent_urls"] = urls[: self.recent_urls_max]
        super()._merge_others(document, theirs)

    def _encode_document(self, document: Any) -> bytes:
        # Stricter than the other stores: NaN (which JSON has not) and values
        # JSON cannot carry at all (a set in reconnect settings) are refused
        # as a ProfileStoreError before anything is written.
        # A lone surrogate (text pasted from a broken UTF-16 source) cannot be
        # UTF-8: UnicodeEncodeError is a ValueError, refused the same way.
        try:
            return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ProfileStoreError(str(self.path), f"a profile holds a value JSON cannot carry: {exc}") from exc
