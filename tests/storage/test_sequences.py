"""The saved sequences: sequences.json written and read back, a corrupt file kept aside."""

from __future__ import annotations

import json

import pytest

from wsconsole.storage.sequences import (
    Sequence,
    SequenceStore,
    SequenceStoreError,
    Step,
    StepKind,
)


def sample() -> Sequence:
    return Sequence(
        "login then poll",
        [
            Step(StepKind.SEND_TEXT, '{"op": "login"} ✓'),
            Step(StepKind.WAIT_FOR_REGEX, r'"ok":\s*true', 2000),
            Step(StepKind.SEND_HEX, "00 ff"),
            Step(StepKind.WAIT, ms=50),
        ],
        loops=4,
    )


def test_store_round_trip(tmp_path) -> None:
    store = SequenceStore(tmp_path)
    store.put(sample())
    store.put(Sequence("second", [Step(StepKind.WAIT, ms=1)]))
    store.save()
    again = SequenceStore(tmp_path)
    assert again.load() == []
    assert again.names() == ["login then poll", "second"]
    assert again.get("login then poll") == sample()
    assert again.remove("second") and not again.remove("second")
    with pytest.raises(ValueError):
        again.put(Sequence("  ", []))


def test_store_uses_the_config_dir_variable(tmp_path) -> None:
    store = SequenceStore(environ={"WSCONSOLE_CONFIG_DIR": str(tmp_path / "cfg")})
    assert store.path == tmp_path / "cfg" / "sequences.json"


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"format": "x"}', b'{"format": 1, "sequences": 3}'])
def test_corrupt_file_is_kept_aside_and_never_fatal(tmp_path, content) -> None:
    path = tmp_path / "sequences.json"
    path.write_bytes(content)
    store = SequenceStore(tmp_path)
    problems = store.load()
    assert len(problems) == 1 and "kept as sequences.json.corrupt-" in problems[0]
    assert store.kept_aside is not None and store.kept_aside.read_bytes() == content
    assert not path.exists() and store.names() == []
    store.put(sample())
    store.save()  # the new file does not overwrite the kept one
    assert store.kept_aside.read_bytes() == content
    assert SequenceStore(tmp_path).load() == []


def test_a_bad_sequence_is_skipped_with_a_message(tmp_path) -> None:
    good = sample().to_dict()
    document = {"format": 1, "sequences": [good, {"name": "x", "steps": [{"kind": "teleport"}]}, {"steps": []}]}
    (tmp_path / "sequences.json").write_text(json.dumps(document))
    store = SequenceStore(tmp_path)
    problems = store.load()
    assert store.names() == ["login then poll"]
    assert len(problems) == 2
    assert "step 1: unknown step kind 'teleport'" in problems[0]
    assert "has no name" in problems[1]


def test_a_failed_save_raises_the_store_error_and_leaves_no_temp_file(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = SequenceStore(blocker / "sub")
    store.put(sample())
    with pytest.raises(SequenceStoreError, match="cannot save sequences"):
        store.save()
    assert list(tmp_path.iterdir()) == [blocker]


def test_the_saved_sequences_stay_a_file_the_next_start_reads(tmp_path) -> None:
    """Steps are typed in fields of up to 32,767 characters, but a sequence may have many:
    a save that would pass MAX_FILE_PAYLOAD_CHARS is refused, saying why, and the rest kept."""
    from wsconsole.storage.jsonread import MAX_FILE_BYTES, MAX_FILE_PAYLOAD_CHARS

    store = SequenceStore(tmp_path)
    step = Step(StepKind.SEND_TEXT, "\u0001" * 32_767)  # 6 bytes each in the file
    per_sequence = 64
    fitting = MAX_FILE_PAYLOAD_CHARS // (32_767 * per_sequence)
    for i in range(fitting):
        store.put(Sequence(f"flood {i}", [step] * per_sequence))
    with pytest.raises(ValueError, match=r"the saved sequences would hold [\d,]+ characters of steps, over the "
                                         r"8,388,608 they keep: delete some first"):
        store.put(Sequence("one too many", [step] * per_sequence))
    store.put(Sequence("flood 0", [step]))  # a replacement counts once
    store.save()
    assert (tmp_path / "sequences.json").stat().st_size < MAX_FILE_BYTES
    again = SequenceStore(tmp_path)
    assert again.load() == [] and len(again.names()) == fitting
