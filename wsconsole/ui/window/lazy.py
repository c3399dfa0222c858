"""The window's modules that only a user's action needs, imported on first use.

Importing them at start made PySide build the enums of their dialogs' classes
(nine for the profile dialogs alone) before the first paint;
``tests/ui/window/test_startup_imports.py`` checks that a start leaves them out.
"""

from __future__ import annotations

from types import ModuleType


def capture_jobs() -> ModuleType:
    """File > Import HAR/NDJSON… and the exports: :mod:`wsconsole.ui.log.capture_jobs`."""
    from wsconsole.ui.log import capture_jobs as module

    return module


def replay_ui() -> ModuleType:
    """File > Replay capture…: :mod:`wsconsole.ui.log.replay_ui`."""
    from wsconsole.ui.log import replay_ui as module

    return module


def profiles_ui() -> ModuleType:
    """The profile dialogs: :mod:`wsconsole.ui.dialogs.profiles`."""
    from wsconsole.ui.dialogs import profiles as module

    return module
