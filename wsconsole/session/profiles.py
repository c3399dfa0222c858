"""What saving, renaming and deleting a profile, and remembering a URL, do: without Qt.

:class:`ProfileBook` applies a front end's requests to a
:class:`~wsconsole.storage.profiles.ProfileStore` and writes the file at
once; each request answers with a :class:`ProfileChange` that says whether
it was done and what to tell the user.  The reconnect settings a profile
keeps are a JSON-safe dict (:func:`reconnect_settings`), read back with
:func:`read_reconnect_settings`.

Not thread-safe: one owner thread (the GUI's) calls everything.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wsconsole.client.options import ConnectOptions
from wsconsole.errors import ProfileStoreError
from wsconsole.session.reconnect import ReconnectPolicy
from wsconsole.storage.jsonread import short_repr
from wsconsole.storage.profiles import RELAY_KIND, PingSettings, Profile, ProfileStore

_FLOAT_MAX = sys.float_info.max

__all__ = ["ProfileBook", "ProfileChange", "read_reconnect_settings", "reconnect_settings"]


def reconnect_settings(enabled: bool, policy: ReconnectPolicy) -> dict[str, Any]:
    """A connection's reconnect switch and backoff as the JSON-safe dict a :class:`Profile` keeps."""
    return {
        "enabled": enabled,
        "initial_delay_s": policy.initial_delay_s,
        "factor": policy.factor,
        "max_delay_s": policy.max_delay_s,
        "max_attempts": policy.max_attempts,
    }


def read_reconnect_settings(settings: dict[str, Any]) -> tuple[bool, ReconnectPolicy, list[str]]:
    """Reads :func:`reconnect_settings` output back; never raises.

    Returns:
        ``(enabled, policy, problems)``: a missing value is its default; a bad one is reported
        and the default policy used instead.
    """
    problems: list[str] = []
    enabled = settings.get("enabled", False)
    if not isinstance(enabled, bool):
        problems.append(f"reconnect enabled must be true or false, not {enabled!r}")
        enabled = False
    default = ReconnectPolicy()
    values: dict[str, Any] = {}
    for name in ("initial_delay_s", "factor", "max_delay_s", "max_attempts"):
        value = settings.get(name, getattr(default, name))
        integer = name == "max_attempts"
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
            problems.append(f"reconnect {name} must be {'a whole number' if integer else 'a number'}, not {short_repr(value)}")
            value = getattr(default, name)
        elif not integer and isinstance(value, int) and abs(value) > _FLOAT_MAX:  # float() would raise OverflowError
            problems.append(f"reconnect {name} is too large: {short_repr(value)}")
            value = getattr(default, name)
        values[name] = value if integer else float(value)
    try:
        policy = ReconnectPolicy(**values)
    except ValueError as exc:
        problems.append(str(exc))
        policy = default
    return enabled, policy, problems


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """How a request to the profiles went.

    Attributes:
        done: The store holds the change (on disk too unless ``problem`` says otherwise).
        problem: "" when all went well; else, for people, why it was refused
            (``done`` False) or that the file could not be written and what
            that means (``done`` True: the change lasts for this session only).
    """

    done: bool
    problem: str = ""

    @property
    def on_disk(self) -> bool:
        return self.done and not self.problem


class ProfileBook:
    """Saves, renames and deletes the profiles in ``store`` and remembers recent URLs.

    Args:
        store: Loaded already; every change is written to its file at once.
    """

    def __init__(self, store: ProfileStore) -> None:
        self.store = store
        self._recent_failure_told = False

    @staticmethod
    def make(
        name: str,
        url: str,
        options: ConnectOptions,
        pings: PingSettings,
        reconnect: tuple[bool, ReconnectPolicy],
        *,
        save_secrets: bool = False,
    ) -> Profile:
        """The profile of a connection: its URL, options, ping and ``(enabled, policy)`` reconnect settings."""
        return Profile(
            name=name.strip(),
            url=url,
            options=options,
            reconnect=reconnect_settings(*reconnect),
            save_secrets=save_secrets,
            pings=pings,
        )

    @staticmethod
    def make_relay(name: str, upstream_url: str, listen: str, options: ConnectOptions, *,
                   save_secrets: bool = False, break_rules: Sequence[Mapping[str, Any]] = (),
                   allowed_origins: Sequence[str] = ()) -> Profile:
        """The profile of a relay: its upstream URL, listen ``HOST:PORT``, the upstream leg's options,
        its breakpoint rules (each a dict of ``BREAK_RULE_FIELDS``) and the origins it lets in."""
        return Profile(
            name=name.strip(), url=upstream_url, options=options, save_secrets=save_secrets,
            kind=RELAY_KIND, listen=listen, break_rules=tuple(dict(rule) for rule in break_rules),
            allowed_origins=tuple(allowed_origins),
        )

    def save(self, profile: Profile) -> ProfileChange:
        """Keeps ``profile`` as it is written to disk (secrets only if it saves them), replacing one of its name."""
        if not profile.name.strip():
            return ProfileChange(False, "a profile needs a name")
        saved = profile.as_saved()
        self.store.put(saved)
        return self._write(f'profile "{saved.name}" is kept for this session only')

    def rename(self, old: str, new: str) -> ProfileChange:
        """Renames profile ``old`` to ``new`` in place; refused if ``new`` is empty or taken."""
        refusal = self.store.rename(old, new)
        if refusal:
            return ProfileChange(False, refusal)
        return self._write(f'profile "{new.strip()}" is renamed for this session only')

    def delete(self, name: str) -> ProfileChange:
        """Deletes profile ``name``; refused if there is none."""
        if not self.store.remove(name):
            return ProfileChange(False, f'there is no profile called "{name}"')
        return self._write(f'profile "{name}" is deleted for this session only')

    def add_recent_url(self, url: str) -> str:
        """Puts ``url`` first in the recent URLs (without a password) and saves at once.

        Returns:
            What to tell the user: that the file could not be written, the
            first time only (not once per connection); else "".
        """
        self.store.add_recent_url(url)
        change = self._write("recent URLs are kept for this session only")
        if not change.problem or self._recent_failure_told:
            return ""
        self._recent_failure_told = True
        return change.problem

    @staticmethod
    def open_notes(profile: Profile) -> tuple[bool, ReconnectPolicy, list[str], str]:
        """What opening ``profile`` gives besides its URL, options and pings.

        Returns:
            ``(reconnect_enabled, policy, problems, note)``: the reconnect
            settings, what was wrong with them (for the log) and the line
            that says the profile was opened.
        """
        enabled, policy, problems = read_reconnect_settings(profile.reconnect)
        secrets = "" if profile.save_secrets else " (saved without passwords and tokens)"
        return enabled, policy, [f'profile "{profile.name}": {problem}' for problem in problems], (
            f'profile "{profile.name}" opened{secrets}'
        )

    def _write(self, consequence: str) -> ProfileChange:
        try:
            self.store.save()
        except ProfileStoreError as exc:
            return ProfileChange(True, f"{exc}; {consequence}")
        return ProfileChange(True)
