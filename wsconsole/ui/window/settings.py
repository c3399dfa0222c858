"""The window's small preferences file (``ui.ini``): folds, the layout, the composer's habits.

GUI thread only (QSettings objects are made per use and are cheap).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from wsconsole.storage.profiles import config_dir

UI_SETTINGS_FILE = "ui.ini"
"""Small window preferences, in the config directory beside the profiles."""


def ui_settings() -> QSettings:
    """The window preferences file in the user's config directory (``WSCONSOLE_CONFIG_DIR`` in tests).

    An explicit INI file, not QSettings' platform default (the registry on
    Windows): it lives where the profiles do and a test's directory isolates it.
    """
    return QSettings(str(config_dir() / UI_SETTINGS_FILE), QSettings.Format.IniFormat)


def setting_flag(key: str, default: bool) -> bool:
    """The boolean preference ``key``; ``default`` when unset or unreadable."""
    return bool(ui_settings().value(key, default, type=bool))


def set_setting(key: str, value: object) -> None:
    """Writes one preference at once; a failed write only means the next run uses the default."""
    settings = ui_settings()
    settings.setValue(key, value)
    settings.sync()
