"""The check before the window loads Qt (issue 15): no display, and the xcb plugin's missing libraries."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wsconsole.cli import display
from wsconsole.cli.display import display_problem, needed_libraries, qt_xcb_files, x_server_problem
from wsconsole.cli.status import ExitStatus
from tests.support.processes import ROOT, sigint_not_ignored

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")
XCB_FILES = qt_xcb_files()
XCB_LIBRARY = next((path for path in XCB_FILES if path.name == "libQt6XcbQpa.so.6"), None)
needs_xcb_plugin = pytest.mark.skipif(XCB_LIBRARY is None, reason="this PySide6 ships no xcb plugin")


def _missing_copy(tmp_path: Path, present: bytes, absent: bytes) -> Path:
    """A copy of Qt's xcb library whose needed ``present`` is renamed ``absent`` (same length): a real
    ELF file that needs a library no system has, beside (links to) the Qt libraries it ships with."""
    assert len(present) == len(absent)
    library = XCB_LIBRARY
    data = library.read_bytes()
    assert present + b"\0" in data
    folder = tmp_path / "Qt" / "lib"
    folder.mkdir(parents=True)
    for shipped in library.parent.glob("libQt6*"):
        (folder / shipped.name).symlink_to(shipped)
    copy = folder / library.name
    copy.unlink()
    copy.write_bytes(data.replace(present + b"\0", absent + b"\0"))
    return copy


@needs_xcb_plugin
@pytest.mark.skipif(shutil.which("readelf") is None, reason="readelf is the reference")
def test_the_elf_reader_lists_what_readelf_lists() -> None:
    for path in XCB_FILES:
        result = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True)
        expected = [line.split("[", 1)[1].rstrip("]") for line in result.stdout.splitlines() if "(NEEDED)" in line]
        assert needed_libraries(path) == expected
    assert "libxcb-icccm.so.4" in needed_libraries(XCB_LIBRARY)


def test_a_file_that_is_not_elf_is_refused(tmp_path) -> None:
    text = tmp_path / "libqxcb.so"
    text.write_text("not a library\n" * 10)
    with pytest.raises(ValueError, match="not an ELF file"):
        needed_libraries(text)


@linux_only
@needs_xcb_plugin
def test_a_library_the_plugin_needs_and_the_system_lacks_is_named(tmp_path) -> None:
    copy = _missing_copy(tmp_path, b"libxcb-icccm.so.4", b"libwscon-nox.so.4")
    problem = display_problem({"DISPLAY": ":0"}, files=[copy])
    assert problem == (
        "Qt's window system plugin needs libraries that are missing: libwscon-nox.so.4 "
        "(install: sudo apt install libwscon-nox.so.4; Fedora: sudo dnf install libwscon-nox.so.4)"
    )


@linux_only
@needs_xcb_plugin
def test_the_real_plugin_loads_here(tmp_path) -> None:
    # Without this, the test above could pass with a check that calls everything missing.
    assert display.missing_libraries(XCB_FILES, display._dlopen_problem) == []


@linux_only
@needs_xcb_plugin
def test_missing_libraries_are_named_by_their_packages_with_both_install_commands() -> None:
    # The machine: the two libraries README named were there, these two were not.
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    problem = display_problem(
        {"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, loadable=lambda name: name if name in absent else None
    )
    assert problem == (
        "Qt's window system plugin needs libraries that are missing: libxcb-icccm4, libxcb-keysyms1 "
        "(install: sudo apt install libxcb-icccm4 libxcb-keysyms1; "
        "Fedora: sudo dnf install xcb-util-wm xcb-util-keysyms)"
    )


@linux_only
@needs_xcb_plugin
def test_a_library_missing_a_library_of_its_own_names_that_one(tmp_path) -> None:
    # The dynamic linker names the library it could not find, not the one asked for.
    copy = _missing_copy(tmp_path, b"libxcb-icccm.so.4", b"libwscon-nox.so.4")
    assert display._dlopen_problem(str(copy)) == "libwscon-nox.so.4"


@linux_only
@needs_xcb_plugin
def test_the_window_command_stops_before_qt_with_one_line(tmp_path, monkeypatch, run_main) -> None:
    copy = _missing_copy(tmp_path, b"libxcb-keysyms.so.1", b"libwscon-nokey.so.1")
    monkeypatch.setattr(display, "qt_xcb_files", lambda: [copy])
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    status, out, err = run_main(["ws://127.0.0.1:9/"])
    assert status == ExitStatus.ERROR
    assert out == ""
    assert err.splitlines() == [
        "wsconsole: error: Qt's window system plugin needs libraries that are missing: libwscon-nokey.so.1 "
        "(install: sudo apt install libwscon-nokey.so.1; Fedora: sudo dnf install libwscon-nokey.so.1)"
    ]


@pytest.mark.parametrize(
    ("environ", "platform"),
    [
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "linux"),  # Qt picks wayland there
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux"),
        ({}, "darwin"),
        ({}, "win32"),
    ],
)
def test_no_check_where_xcb_is_not_used(environ, platform) -> None:
    def refuse_all(name: str) -> str:
        return name

    assert display_problem(environ, platform=platform, loadable=refuse_all) is None


def test_xcb_asked_for_without_a_display_is_said() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, platform="linux") == (
        "QT_QPA_PLATFORM is 'xcb' but DISPLAY is unset: there is no X display to open the window on"
    )


def test_no_display_at_all_is_said_in_one_line() -> None:
    assert display_problem({}, platform="linux") == (
        "there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
        "in a terminal, use 'wsconsole serve' for the echo server or 'wsconsole connect URL' for a client"
    )


@linux_only
@pytest.mark.parametrize("argv", [[], ["ws://127.0.0.1:9080/"], ["gui"]])
def test_without_a_display_the_window_exits_1_not_134(argv) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with sigint_not_ignored():
        result = subprocess.run(
            [sys.executable, "-m", "wsconsole", *argv], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=30, check=False,
        )
    assert result.returncode == ExitStatus.ERROR, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "wsconsole: error: there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
        "in a terminal, use 'wsconsole serve' for the echo server or 'wsconsole connect URL' for a client"
    ]


def test_an_x_display_over_tcp_is_reached_or_said_unreachable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        if port < 6000:
            pytest.skip("the free port is below X's 6000")
        number = port - 6000
        assert x_server_problem(f"127.0.0.1:{number}.0") is None
    problem = x_server_problem(f"127.0.0.1:{number}")
    assert problem is not None
    assert problem.startswith(f"no X server answers on display '127.0.0.1:{number}' (DISPLAY; 127.0.0.1 port {port}:")


@linux_only
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")
def test_a_local_x_server_is_reached_and_one_that_stopped_is_not() -> None:
    reader, writer = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(writer), "-nolisten", "tcp"], pass_fds=(writer,),
                            stderr=subprocess.DEVNULL)
    os.close(writer)
    try:
        with os.fdopen(reader) as numbers:
            number = numbers.readline().strip()
        assert number.isdigit(), "Xvfb gave no display number"
        assert x_server_problem(f":{number}") is None
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert x_server_problem(f":{number}") == (
        f"no X server answers on display ':{number}' (DISPLAY; nothing listens on /tmp/.X11-unix/X{number}); "
        "in a terminal, use 'wsconsole serve' or 'wsconsole connect URL' instead"
    )


@needs_xcb_plugin
def test_readme_lists_every_package_the_window_needs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    apt = next(line for line in readme.splitlines() if "sudo apt install libxcb" in line)
    dnf = next(line for line in readme.splitlines() if "sudo dnf install xcb" in line)
    needed = {name for path in XCB_FILES for name in needed_libraries(path)}
    known = needed & display.PACKAGES.keys()
    assert len(known) >= 20
    for name in known:
        debian, fedora = display.PACKAGES[name]
        assert f" {debian}" in apt, name
        assert f" {fedora}" in dnf, name
