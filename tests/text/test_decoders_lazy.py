"""The decoders package loads each decoder's module on first use, and names every export as before."""

from __future__ import annotations

import subprocess
import sys


def _run(script: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[:-1]


def test_importing_the_package_loads_no_decoder_and_a_decoder_loads_its_own_module() -> None:
    lines = _run(
        "import sys\n"
        "loaded = lambda: sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('wsconsole.text.decoders.'))\n"
        "import wsconsole.text.decoders as decoders\n"
        "print(loaded())\n"
        "print(decoders.decode_cbor(b'\\x83\\x01\\x02\\x03'))\n"
        "print(loaded())\n"
        "print(list(decoders.DECODERS) == list(decoders.DECODER_FUNCTIONS))\n"
        "print(loaded())\n"
    )
    assert lines[0] == "[]"
    assert lines[1] == "[1, 2, 3]"
    assert lines[2] == "['cbor', 'reader', 'values']"
    assert lines[3] == "True"
    assert lines[4] == "['base64_text', 'cbor', 'godot', 'godot_multiplayer', 'messagepack', 'reader', 'values']"


def test_every_export_is_there_and_a_wrong_name_is_an_attribute_error() -> None:
    import pytest

    import wsconsole.text.decoders as decoders

    for name in decoders.__all__:
        assert getattr(decoders, name) is not None, name
    assert set(decoders.__all__) <= set(dir(decoders))
    with pytest.raises(AttributeError, match="no attribute 'decode_jpeg'"):
        decoders.decode_jpeg  # noqa: B018
    assert decoders.DECODERS["CBOR"] is decoders.decode_cbor
