"""Before the window loads Qt: is there a display, and can Qt's X11 plugin load?

Qt picks its platform plugin when the application is made, and when the plugin
cannot load it prints a long message that names the wrong library (it blames
``xcb-cursor0`` for any missing ``libxcb-*``) and aborts with status 134.  On
Linux this module looks first: no display at all, or a library that the xcb
plugin links and the system lacks, becomes one ``wsconsole: error:`` line naming
what to install, and exit status 1.  macOS and Windows are not checked (their
plugins link only system libraries).

It imports no Qt (PySide6 is found with ``importlib.util.find_spec``, which
does not import it) and reads the plugin's needed libraries from its ELF
dynamic section, so it needs neither ``ldd`` nor ``readelf``.
"""

from __future__ import annotations

import os
import re
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

__all__ = [
    "PACKAGES",
    "display_problem",
    "missing_libraries",
    "needed_libraries",
    "qt_xcb_files",
    "x_server_problem",
]

PACKAGES: dict[str, tuple[str, str]] = {
    # soname: (Debian/Ubuntu package, Fedora package)
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}
"""The package that installs each library Qt's xcb plugin links, for the install hint.
A library not listed is named as it is (its soname)."""

_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DLERROR = re.compile(r"^(?P<name>[^:\s]+): cannot open shared object file")


def display_problem(
    environ: Mapping[str, str] | None = None,
    *,
    platform: str = sys.platform,
    files: Iterable[Path] | None = None,
    loadable: Callable[[str], str | None] | None = None,
) -> str | None:
    """Why the window cannot open here, as the text after ``wsconsole: error:``; None if it may.

    Args:
        environ: The environment; None for ``os.environ``.
        platform: ``sys.platform``; only Linux is checked.
        files: The ELF files whose needed libraries the xcb plugin loads;
            None for the installed PySide6's (see :func:`qt_xcb_files`).
        loadable: Tries to load a library by soname; returns None if it
            loads, else the soname that is missing.  None for the dynamic
            linker's own answer (``ctypes.CDLL``).
    """
    if not platform.startswith("linux"):
        return None
    env = os.environ if environ is None else environ
    requested = env.get("QT_QPA_PLATFORM", "")
    # "wayland;xcb" is a list tried in order; "xcb:nograb" carries options.
    first = requested.split(";")[0].split(":")[0].strip()
    if not requested and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return (
            "there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "in a terminal, use 'wsconsole serve' for the echo server or 'wsconsole connect URL' for a client"
        )
    # Unset on a Wayland session, Qt picks its wayland plugin: xcb's libraries do not matter.
    xcb = first == "xcb" or (not requested and not env.get("WAYLAND_DISPLAY"))
    if not xcb:
        return None
    if not env.get("DISPLAY"):
        return f"QT_QPA_PLATFORM is {requested!r} but DISPLAY is unset: there is no X display to open the window on"
    missing = missing_libraries(qt_xcb_files() if files is None else files, loadable or _dlopen_problem)
    if missing:
        return install_hint(missing)
    return x_server_problem(env["DISPLAY"])


def x_server_problem(display: str, timeout_s: float = 1.0) -> str | None:
    """Why the X server of ``display`` (a DISPLAY value) cannot be reached; None if it answers a connect.

    Only the socket is opened and closed: no X request is made, so no
    authorisation is needed.  A DISPLAY this cannot parse is left to Qt.

    Args:
        display: ``[host]:number[.screen]``.
        timeout_s: Bound on a TCP connect to a remote display, in seconds.
    """
    import socket

    host, colon, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not colon or not number.isdigit() or "/" in host:
        return None
    hint = "; in a terminal, use 'wsconsole serve' or 'wsconsole connect URL' instead"
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        # The X server listens on both the abstract name (Linux) and the file; either will do.
        for address in ("\0" + path, path):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                try:
                    sock.connect(address)
                except OSError:
                    continue
                return None
        return f"no X server answers on display {display!r} (DISPLAY; nothing listens on {path}){hint}"
    try:
        socket.create_connection((host, 6000 + int(number)), timeout=timeout_s).close()
    except OSError as exc:
        return f"no X server answers on display {display!r} (DISPLAY; {host} port {6000 + int(number)}: {exc}){hint}"
    return None


def install_hint(missing: Iterable[str]) -> str:
    """The error text for ``missing`` sonames: the packages, and the commands that install them."""
    debian = _unique(PACKAGES.get(name, (name, name))[0] for name in missing)
    fedora = _unique(PACKAGES.get(name, (name, name))[1] for name in missing)
    return (
        f"Qt's window system plugin needs libraries that are missing: {', '.join(debian)} "
        f"(install: sudo apt install {' '.join(debian)}; Fedora: sudo dnf install {' '.join(fedora)})"
    )


def qt_xcb_files() -> list[Path]:
    """The installed PySide6's xcb plugin, its Qt library and Qt's GUI library, those that exist.

    [] without PySide6.  (Qt's GUI library needs EGL, fontconfig and FreeType
    besides: without them the import of PySide6 fails before the plugin loads.)
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    candidates = (
        qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6", qt / "lib" / "libQt6Gui.so.6"
    )
    return [path for path in candidates if path.is_file()]


def missing_libraries(files: Iterable[Path], loadable: Callable[[str], str | None]) -> list[str]:
    """The sonames that ``files`` need and that cannot be loaded, in the order first needed.

    Libraries beside a file or in PySide6's ``Qt/lib`` (the plugin's runpath) ship
    with PySide6 and are not probed.  An unreadable file is skipped: Qt will say
    what is wrong with it.

    Args:
        files: ELF shared objects.
        loadable: See :func:`display_problem`.
    """
    missing: list[str] = []
    probed: set[str] = set()
    for path in files:
        try:
            needed = needed_libraries(path)
        except (OSError, ValueError):
            continue
        shipped = {path.parent, path.parent.parent.parent / "lib"}
        for name in needed:
            if name in probed or any((folder / name).exists() for folder in shipped):
                continue
            probed.add(name)
            absent = loadable(name)
            if absent is not None and absent not in missing:
                missing.append(absent)
    return missing


def _dlopen_problem(name: str) -> str | None:
    """None if the dynamic linker loads ``name``, else the soname it could not find.

    A library that is there but needs one that is not fails to load with the
    other's name in the message; that one is what is missing.
    """
    import ctypes

    try:
        ctypes.CDLL(name)
    except OSError as exc:
        found = _DLERROR.match(str(exc))
        return found["name"] if found else name
    return None


def needed_libraries(path: Path) -> list[str]:
    """The ``DT_NEEDED`` entries of an ELF shared object, in order.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not an ELF file with a dynamic section.
    """
    with open(path, "rb") as file:
        header = file.read(64)
        if len(header) < 52 or header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
            raise ValueError(f"{path} is not an ELF file")
        wide = header[4] == 2  # ELFCLASS64
        order = "<" if header[5] == 1 else ">"
        if wide:
            phoff, = struct.unpack_from(order + "Q", header, 32)
            phentsize, phnum = struct.unpack_from(order + "HH", header, 54)
            segment, entry = order + "IIQQQQQQ", order + "qQ"
        else:
            phoff, = struct.unpack_from(order + "I", header, 28)
            phentsize, phnum = struct.unpack_from(order + "HH", header, 42)
            segment, entry = order + "IIIIIIII", order + "iI"
        file.seek(phoff)
        table = file.read(phentsize * phnum)
        loads, dynamic = [], None
        for index in range(phnum):
            fields = struct.unpack_from(segment, table, index * phentsize)
            if wide:
                p_type, _flags, offset, vaddr, _paddr, filesz = fields[:6]
            else:
                p_type, offset, vaddr, _paddr, filesz = fields[:5]
            if p_type == _PT_LOAD:
                loads.append((vaddr, offset, filesz))
            elif p_type == _PT_DYNAMIC:
                dynamic = (offset, filesz)
        if dynamic is None:
            raise ValueError(f"{path} has no dynamic section")
        file.seek(dynamic[0])
        data = file.read(dynamic[1])
        size = struct.calcsize(entry)
        needed, strtab = [], None
        for start in range(0, len(data) - size + 1, size):
            tag, value = struct.unpack_from(entry, data, start)
            if tag == _DT_NULL:
                break
            if tag == _DT_NEEDED:
                needed.append(value)
            elif tag == _DT_STRTAB:
                strtab = value
        if strtab is None:
            raise ValueError(f"{path} has no string table")
        # DT_STRTAB is an address in memory: the loaded segment holding it gives its place in the file.
        base = next((offset + strtab - vaddr for vaddr, offset, filesz in loads if vaddr <= strtab < vaddr + filesz),
                    None)
        if base is None:
            raise ValueError(f"{path}: its string table is outside every loaded segment")
        return [_string_at(file, base + offset) for offset in needed]


def _string_at(file, position: int) -> str:
    file.seek(position)
    raw = file.read(256)
    end = raw.find(b"\0")
    if end < 0:
        raise ValueError("a library name longer than 255 bytes")
    return raw[:end].decode("utf-8", "replace")


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
