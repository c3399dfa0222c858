"""The message log: every packet, state change, close and error, in order.

An *entry* is one row of the log (:mod:`wsconsole.session.entries`).  The log keeps its entries as columns, one
compact array each of times, code bytes (kind and direction) and sizes, and a
list of each entry's data, with listeners, so a Qt model can adapt it without
copying (see ``wsconsole.ui.log.model``); :class:`Entry` objects are made when
an entry is read.  Columns, not an object per entry: the cycle collector walks
every object that can hold references, so an object per entry would be
walked by every pass over the old generations, where the columns are a few
objects holding strings and bytes, which it never walks; they are smaller
too.
It keeps at most :attr:`MessageLog.max_entries` entries: when full, the
oldest are dropped in chunks (:attr:`MessageLog.drop_chunk`), so a view
removes rows in a few large batches rather than one row per packet.  The
traffic counters count everything, dropped entries included, and say how
many were dropped.

The columns (:attr:`MessageLog.codes`, one byte per entry: kind and direction;
:attr:`MessageLog.sizes`, four; :attr:`MessageLog.times`; :attr:`MessageLog.data`)
let filters (``wsconsole.session.filters``) select by kind and direction at C speed and by
size and text without making entry objects.  For case-blind text search it
also keeps, built on first use, each block of :attr:`MessageLog.search_block`
entries' payloads lower-cased and joined into one string (and one ``bytes``)
(:meth:`MessageLog.folded_text`), so a search is a C-level scan of a few
hundred blobs rather than a ``lower()`` per entry; a block's cache goes when
all its entries are dropped, and all of it on :meth:`MessageLog.clear`.
Not thread-safe: call it from one thread (the GUI thread in the window).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, compress, takewhile
from operator import attrgetter, eq, itemgetter

from wsconsole.session.entries import (
    BYTES_DATA_TABLE,
    CODES,
    PACKET_CODES,
    RECEIVED_PACKET_TABLE,
    SENT_PACKET_TABLE,
    STR_DATA_TABLE,
    Direction,
    Entry,
    EntryKind,
    control_entry,
    entry_of,
    packet_entry,
)
from wsconsole.text import payload
from wsconsole.text.redact import redact_urls_in_text

_kind_and_direction = attrgetter("kind", "direction")
_size = attrgetter("size")
_wire_size = attrgetter("wire_size")
_time_s = attrgetter("time_s")
_data = attrgetter("data")
_first = itemgetter(0)
_second = itemgetter(1)


def _is_bytes(data: str | bytes) -> bool:
    return isinstance(data, bytes)


DEFAULT_MAX_ENTRIES = 100_000
"""Entries a new log keeps before it drops the oldest."""

SEARCH_BLOCK_ENTRIES = 4096
"""Entries per block of the text search cache (see :meth:`MessageLog.folded_text`)."""

SEARCH_BLOCK_MAX_BYTES = 1 << 20
"""A block whose payloads of one type pass this many bytes is not cached: its
entries are searched one by one each time, so big packets are not held twice."""


@dataclass(slots=True)
class Counters:
    """Packets and bytes each way since the log was created or cleared.

    Dropped entries stay counted; ``dropped_entries`` says how many of all
    the entries ever added (of any kind) are no longer kept.
    """

    sent_packets: int = 0
    sent_bytes: int = 0
    received_packets: int = 0
    received_bytes: int = 0
    dropped_entries: int = 0


@dataclass(frozen=True, slots=True)
class FoldedText:
    """One block's payloads of one type (``str`` or ``bytes``), lower-cased and joined.

    Attributes:
        blob: The payloads' ``lower()`` joined by a NUL, in log order; a
            needle without NUL found at position ``p`` lies in entry
            ``k = bisect_right(starts, p) - 1``.
        starts: Where each payload starts in ``blob``, plus one last value
            (``len(blob) + 1``), so entry ``k`` is ``blob[starts[k]:starts[k + 1] - 1]``.
        offsets: Each payload's entry's place in its block (serial number
            minus the block's first), ascending.
    """

    blob: str | bytes
    starts: array
    offsets: array


AppendListener = Callable[[int, int], None]
"""Called as ``listener(first, last)`` with the indices of new entries, after they are added."""


DropListener = Callable[[int], None]
"""Called as ``listener(count)``: the ``count`` oldest entries (indices 0 to count - 1) go or went."""


BatchListener = Callable[[list[float], bytes, list[int], list[str | bytes], Mapping[int, int] | None], None]
"""Called as ``listener(times, codes, sizes, data, wire_sizes)`` with a batch whole, as columns,
before the cap keeps only what fits (``wire_sizes`` by index in the batch, or None)."""


class EntrySequence(Sequence):
    """The entries of a :class:`MessageLog`, oldest first: read-only, each made from the columns when read.

    Indexing, slicing, ``len()``, iteration and ``==`` with another sequence of
    entries work as on a list; an entry read twice is two equal objects.
    """

    __slots__ = ("_log",)

    def __init__(self, log: MessageLog) -> None:
        self._log = log

    def __len__(self) -> int:
        return len(self._log.data)

    def __getitem__(self, index):
        log = self._log
        if isinstance(index, slice):
            return list(map(log.entry, range(*index.indices(len(log.data)))))
        return log.entry(index)

    def __iter__(self) -> Iterator[Entry]:
        return map(self._log.entry, range(len(self._log.data)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(map(eq, self, other))

    __hash__ = None  # a view that changes: not hashable, like a list

    def __repr__(self) -> str:
        return f"<EntrySequence of {len(self)} entries>"


class MessageLog:
    """A list of entries with traffic counters, keeping at most ``max_entries``.

    Args:
        max_entries: How many entries to keep (at least 1); when adding would
            pass it, the oldest entries are dropped, in chunks of
            :attr:`drop_chunk`, before the new ones are added.
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, *, search_block: int = SEARCH_BLOCK_ENTRIES) -> None:
        if isinstance(search_block, bool) or not isinstance(search_block, int) or search_block < 1:
            raise ValueError(f"search_block must be a whole number of at least 1, not {search_block!r}")
        self._search_block = search_block
        # (block, is_bytes) -> FoldedText, or None for a block searched entry by entry.
        self._folded: dict[tuple[int, bool], FoldedText | None] = {}
        # The columns, index for index (see the module docstring).
        self._times = array("d")
        self._codes = bytearray()
        self._sizes = array("I")
        self._data: list[str | bytes] = []
        # Serial number -> wire bytes of each kept packet that came compressed;
        # sparse (a dict, in serial order), so a log without compression pays nothing.
        self._wire_sizes: dict[int, int] = {}
        self._entries = EntrySequence(self)
        self._max_entries = _checked_max_entries(max_entries)
        self._first_number = 0
        self.counters = Counters()
        self._append_listeners: list[AppendListener] = []
        self._batch_listeners: list[BatchListener] = []
        self._about_to_clear_listeners: list[Callable[[], None]] = []
        self._clear_listeners: list[Callable[[], None]] = []
        self._about_to_listeners: list[Callable[[int, int], None]] = []
        self._about_to_drop_listeners: list[DropListener] = []
        self._drop_listeners: list[DropListener] = []

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index):
        return self._entries[index] if isinstance(index, slice) else self.entry(index)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    @property
    def entries(self) -> EntrySequence:
        """The kept entries, oldest first: a read-only sequence over the columns."""
        return self._entries

    def entry(self, index: int) -> Entry:
        """The entry at ``index`` (0 is the oldest kept; negative counts from the newest)."""
        wire_size = None
        if self._wire_sizes:
            wire_size = self._wire_sizes.get(self._first_number + (index if index >= 0 else len(self._data) + index))
        return entry_of(self._times[index], self._codes[index], self._sizes[index], self._data[index], wire_size)

    def wire_sizes(self) -> dict[int, int]:
        """Serial number -> payload bytes on the wire, for each kept packet that came compressed; read only."""
        return self._wire_sizes

    @property
    def times(self) -> array:
        """Each kept entry's ``time_s`` (an array of doubles); read it, never change it."""
        return self._times

    @property
    def data(self) -> list[str | bytes]:
        """Each kept entry's ``data``, oldest first; read it, never change it."""
        return self._data

    @property
    def codes(self) -> bytearray:
        """One code byte per kept entry (see :func:`entry_code`); read it, never change it."""
        return self._codes

    @property
    def sizes(self) -> array:
        """Each kept entry's size in bytes (0 for entries without one), compact for filters; read only.

        Sizes are kept below 4 GiB (clamped): no packet this tool handles is that large.
        """
        return self._sizes

    @property
    def first_number(self) -> int:
        """The serial number of the entry at index 0: entries ever added before it.

        An entry's serial number (``first_number + index``) never changes while
        it is kept, so filtered views can tell which of their rows were dropped.
        :meth:`clear` starts numbering again from 0.
        """
        return self._first_number

    @property
    def search_block(self) -> int:
        """Entries per block of the text search cache; block ``b`` holds serial numbers ``b * search_block`` on."""
        return self._search_block

    def folded_text(self, block: int, is_bytes: bool, build: bool = True) -> FoldedText | None:
        """The lower-cased, joined payloads of block ``block``'s entries of one type, cached.

        ``str`` payloads (text packets, state changes, closes, errors) for
        ``is_bytes`` False; ``bytes`` (binary packets, pings, pongs) for True.
        Entries of the block already dropped are left out.  Entries never
        change, so a block's text stays right until the block is dropped.

        Args:
            block: Block number: serial number // :attr:`search_block`.
            is_bytes: Which payloads.
            build: Build it if it is not cached yet; False only looks.

        Returns:
            None when the block is not complete yet (the newest entries),
            not kept, not built (``build`` False), or not cacheable: its
            payloads pass :data:`SEARCH_BLOCK_MAX_BYTES`, or lower-casing
            changed their length (a few characters lower-case to two), so
            offsets would not map back.  Search those entries one by one.
        """
        key = (block, is_bytes)
        if key in self._folded:
            return self._folded[key]
        size = self._search_block
        first_serial = max(block * size, self._first_number)
        end_serial = (block + 1) * size
        if not build or block < 0 or end_serial > self._first_number + len(self._data) or first_serial >= end_serial:
            return None
        lo = first_serial - self._first_number
        hi = end_serial - self._first_number
        mask = self._codes[lo:hi].translate(BYTES_DATA_TABLE if is_bytes else STR_DATA_TABLE)
        datas = list(compress(self._data[lo:hi], mask))
        folded: FoldedText | None = None
        lengths = list(map(len, datas))
        if sum(lengths) <= SEARCH_BLOCK_MAX_BYTES:
            joined = (b"\0" if is_bytes else "\0").join(datas)
            blob = joined.lower()
            if len(blob) == len(joined):
                starts = list(accumulate(map((1).__add__, lengths), initial=0))
                base = first_serial - block * size
                folded = FoldedText(
                    blob,
                    array("I", starts),
                    array("I", compress(range(base, base + hi - lo), mask)),
                )
        self._folded[key] = folded
        return folded

    def _forget_folded(self) -> None:
        """Drops the search cache of blocks whose entries are all gone."""
        first_kept_block = self._first_number // self._search_block
        for key in [key for key in self._folded if key[0] < first_kept_block]:
            del self._folded[key]

    @property
    def max_entries(self) -> int:
        """How many entries are kept; setting it lower drops the oldest at once."""
        return self._max_entries

    @max_entries.setter
    def max_entries(self, value: int) -> None:
        self._max_entries = _checked_max_entries(value)
        excess = len(self._data) - self._max_entries
        if excess > 0:
            self._drop(excess)

    @property
    def drop_chunk(self) -> int:
        """How many entries are dropped at least at a time when the log is full (1% of the cap)."""
        return max(1, self._max_entries // 100)

    # -- listeners -----------------------------------------------------------

    def on_about_to_append(self, listener: Callable[[int, int], None]) -> None:
        """Registers ``listener(first, last)``, called before entries are added."""
        self._about_to_listeners.append(listener)

    def on_appended(self, listener: AppendListener) -> None:
        """Registers ``listener(first, last)``, called after entries are added."""
        self._append_listeners.append(listener)

    def on_batch(self, listener: BatchListener) -> None:
        """Hears every batch whole, before the cap drops anything: a recording keeps what the log cannot."""
        self._batch_listeners.append(listener)

    def on_about_to_drop(self, listener: DropListener) -> None:
        """Registers ``listener(count)``, called before the ``count`` oldest entries are dropped."""
        self._about_to_drop_listeners.append(listener)

    def on_dropped(self, listener: DropListener) -> None:
        """Registers ``listener(count)``, called after the ``count`` oldest entries were dropped."""
        self._drop_listeners.append(listener)

    def on_about_to_clear(self, listener: Callable[[], None]) -> None:
        """Registers ``listener()``, called before :meth:`clear` removes the entries."""
        self._about_to_clear_listeners.append(listener)

    def on_cleared(self, listener: Callable[[], None]) -> None:
        """Registers ``listener()``, called after :meth:`clear` removed the entries."""
        self._clear_listeners.append(listener)

    # -- adding --------------------------------------------------------------

    def extend(self, entries: Iterable[Entry]) -> None:
        """Adds entries at the end, updating counters; listeners hear once per call.

        If the log would then hold more than :attr:`max_entries`, the oldest
        entries are dropped first (drop listeners hear once), then the new
        ones are added (append listeners hear once).  A batch longer than
        the cap is counted whole but only its newest ``max_entries`` are kept.
        """
        batch = entries if isinstance(entries, list) else list(entries)
        if not batch:
            return
        # Through C-level iterators: no bytecode per entry.
        wire_sizes = None
        if any(map(_wire_size, batch)):  # entries read back from a capture of compressed packets
            wire_sizes = {index: entry.wire_size for index, entry in enumerate(batch) if entry.wire_size is not None}
        self._append(
            list(map(_time_s, batch)),
            bytes(map(CODES.__getitem__, map(_kind_and_direction, batch))),
            [size or 0 for size in map(_size, batch)],
            list(map(_data, batch)),
            wire_sizes,
        )

    def extend_packets(
        self,
        direction: Direction,
        packets: Sequence[tuple[float, str | bytes]],
        wire_sizes: Mapping[int, int] | None = None,
    ) -> None:
        """Adds text (``str``) and binary (``bytes``) packets given as ``(time_s, data)``, as :meth:`extend`.

        The same entries as :func:`packet_entries` would make, without an object per packet.

        Args:
            direction: Which way they went.
            packets: ``(time_s, data)`` pairs.
            wire_sizes: The wire bytes of the packets that came compressed, by
                index in ``packets`` (``PacketsReceived.wire_bytes``); None or
                empty when none did.
        """
        if not packets:
            return
        data = list(map(_second, packets))
        codes = bytes(map(_is_bytes, data)).translate(PACKET_CODES[direction])
        self._append(list(map(_first, packets)), codes, list(map(payload.byte_size, data)), data, wire_sizes)

    def extend_columns(self, times: list[float], codes: bytes, sizes: list[int], data: list[str | bytes]) -> None:
        """Adds entries given as columns, index for index, as :meth:`extend` adds entries.

        For a recorder whose batch mixes directions and kinds (a server
        client's packets in, its replies out, its close), one call for all.

        Args:
            times: Each entry's ``time_s``.
            codes: Each entry's code byte (:func:`~wsconsole.session.entries.entry_code`).
            sizes: Each entry's size in bytes; 0 for kinds without one.
            data: Each entry's data: ``str`` or ``bytes`` as its kind holds
                (see :data:`~wsconsole.session.entries.BYTES_KINDS`).
        """
        if data:
            self._append(times, codes, sizes, data)

    def remove_listener(self, listener: Callable[..., None]) -> None:
        """Forgets ``listener`` (compared with ``==``, so a bound method given again matches) wherever registered.

        So a view can stop showing a log that lives on.
        """
        for listeners in (
            self._append_listeners,
            self._batch_listeners,
            self._about_to_clear_listeners,
            self._clear_listeners,
            self._about_to_listeners,
            self._about_to_drop_listeners,
            self._drop_listeners,
        ):
            listeners[:] = [known for known in listeners if known != listener]

    def _append(
        self,
        times: list[float],
        codes: bytes,
        sizes: list[int],
        data: list[str | bytes],
        wire_sizes: Mapping[int, int] | None = None,
    ) -> None:
        """Adds entries given as columns (see :meth:`extend`); ``wire_sizes`` by index in them."""
        for listener in tuple(self._batch_listeners):  # one may end itself (a failed write)
            listener(times, codes, sizes, data, wire_sizes)
        counters = self.counters
        sent = codes.translate(SENT_PACKET_TABLE)
        received = codes.translate(RECEIVED_PACKET_TABLE)
        counters.sent_packets += sent.count(1)
        counters.received_packets += received.count(1)
        counters.sent_bytes += sum(compress(sizes, sent))
        counters.received_bytes += sum(compress(sizes, received))
        cap = self._max_entries
        skipped_count = 0
        if len(data) > cap:
            if self._data:
                self._drop(len(self._data))
            skipped = skipped_count = len(data) - cap
            times, codes, sizes, data = times[skipped:], codes[skipped:], sizes[skipped:], data[skipped:]
            self._first_number += skipped
            counters.dropped_entries += skipped
            self._forget_folded()
        else:
            excess = len(self._data) + len(data) - cap
            if excess > 0:
                # Round up to a whole chunk: the next appends then fit without a drop.
                self._drop(min(len(self._data), max(excess, self.drop_chunk)))
        first = len(self._data)
        last = first + len(data) - 1
        for listener in self._about_to_listeners:
            listener(first, last)
        self._times.extend(times)
        self._codes += codes
        if max(sizes) > 0xFFFFFFFF:
            sizes = [min(size, 0xFFFFFFFF) for size in sizes]
        self._sizes.extend(sizes)
        self._data += data
        if wire_sizes:
            # Before the listeners (the traffic history reads them).  Entries the cap
            # skipped have serials below first_number.
            first_serial = self._first_number + len(self._data) - len(data) - skipped_count
            for index, size in wire_sizes.items():
                if first_serial + index >= self._first_number:
                    self._wire_sizes[first_serial + index] = size
        for listener in self._append_listeners:
            listener(first, last)

    def _drop(self, count: int) -> None:
        for listener in self._about_to_drop_listeners:
            listener(count)
        # One slice deletion per column: a memmove of what remains, not count pops.
        del self._times[:count]
        del self._codes[:count]
        del self._sizes[:count]
        del self._data[:count]
        self._first_number += count
        self.counters.dropped_entries += count
        self._forget_folded()
        wire_sizes = self._wire_sizes
        if wire_sizes:
            # In serial order: the dropped ones are at the front.
            first = self._first_number
            for serial in list(takewhile(first.__gt__, wire_sizes)):
                del wire_sizes[serial]
        for listener in self._drop_listeners:
            listener(count)

    def add_packet(self, direction: Direction, data: str | bytes, time_s: float | None = None) -> Entry:
        """Adds a sent or received packet and returns its entry."""
        entry = packet_entry(direction, data, time_s)
        self.extend((entry,))
        return entry

    def add_event(self, kind: EntryKind, text: str, time_s: float | None = None) -> Entry:
        """Adds a state change, close or error with its text and returns its entry.

        A ``scheme://user:password@`` in ``text`` is kept as ``user:***@``: the log
        is shown, copied and exported, and the connection has the password already.
        """
        text = redact_urls_in_text(text)
        entry = Entry(time.time() if time_s is None else time_s, kind, Direction.LOCAL, text)
        self.extend((entry,))
        return entry

    def add_control(
        self, kind: EntryKind, direction: Direction, data: bytes = b"", time_s: float | None = None
    ) -> Entry:
        """Adds a ping or pong (``kind``) with its payload and returns its entry."""
        entry = control_entry(kind, direction, data, time_s)
        self.extend((entry,))
        return entry

    def snapshot(self) -> MessageLog:
        """A copy of this log as it is now, with no listeners: for a slow reader (an export in
        steps) while this one goes on.

        The columns are copied, not the entries: tens of milliseconds for a
        million of them, where a list of the entries takes seconds.
        """
        copy = MessageLog(max(self._max_entries, len(self._data)), search_block=self._search_block)
        copy._times = array("d", self._times)
        copy._codes = bytearray(self._codes)
        copy._sizes = array("I", self._sizes)
        copy._data = list(self._data)
        copy._wire_sizes = dict(self._wire_sizes)
        copy._first_number = self._first_number
        copy.counters = replace(self.counters)
        return copy

    def clear(self) -> None:
        """Removes every entry and resets the counters."""
        for listener in self._about_to_clear_listeners:
            listener()
        del self._times[:]
        self._codes.clear()
        del self._sizes[:]
        self._data.clear()
        self._wire_sizes.clear()
        self._first_number = 0
        self._folded.clear()  # serial numbers start again from 0
        self.counters = Counters()
        for listener in self._clear_listeners:
            listener()


def _checked_max_entries(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_entries must be a whole number of at least 1, not {value!r}")
    return value
