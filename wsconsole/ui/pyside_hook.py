"""A cheaper check for PySide6's import hook, which otherwise reads every module's source.

Once PySide6 is imported, its ``__feature__`` support (``from __feature__ import
snake_case``; PYSIDE-2029) runs ``shibokensupport.feature.feature_imported`` after
every import in the process, on any thread, and for each new module asks
``_mod_uses_pyside``: ``inspect.getsource(module)`` (linecache, an encoding
sniff, the whole file split into lines), then whether ``"PySide6"`` is in it.
A window's start imports some two hundred modules after PySide6 (the window's,
websocket-client's, the embedded server's asyncio and websockets): 60-100 ms of
every start, on a 2-core machine, went there.

:func:`install` puts a check with the same answer in its place: for a module
loaded from a ``.py`` file, whether the file's bytes hold ``b"PySide6"`` (the
same test on the same text for any ASCII-compatible source encoding, which is
every module here); anything else (no file, a compiled extension, a file that
cannot be read) still goes to PySide's own check.  PySide6 keeps working if a
release renames or drops the function: :func:`install` then does nothing.
"""

from __future__ import annotations

import sys
from types import ModuleType

_MARK = "wsconsole_reads_bytes"


def install() -> bool:
    """Replaces PySide6's source check with the byte check; call after importing PySide6.

    Returns:
        True if it was installed now, False if PySide6's hook is not there (not
        imported yet, or a release without it) or the check is in place already.
    """
    feature = sys.modules.get("shibokensupport.feature")
    pyside_check = getattr(feature, "_mod_uses_pyside", None)
    if pyside_check is None or getattr(pyside_check, _MARK, False):
        return False

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return pyside_check(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return pyside_check(module)

    setattr(uses_pyside, _MARK, True)
    uses_pyside.pyside_check = pyside_check  # PySide's own, for the fallback and for tests
    feature._mod_uses_pyside = uses_pyside
    return True
