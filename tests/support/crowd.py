"""A crowd of real WebSocket clients (the ``websockets`` asyncio client) on one thread.

:class:`ClientCrowd` opens N connections to a URL, has each send its own
numbered text packets (``c{client}-{packet}``) and read every echo, then
keeps them all open until :meth:`ClientCrowd.stop`, so a test can look at
the server's view of them while they are still connected.  Used by the
server dock's flood test and ``bench/bench_server_clients.py``.
"""

from __future__ import annotations

import asyncio
import threading


def packet_text(client: int, packet: int) -> str:
    """The text client number ``client`` sends as its packet number ``packet``."""
    return f"c{client}-{packet}"


class ClientCrowd:
    """``count`` clients each sending ``packets`` text packets and reading their echoes.

    Thread use: :meth:`start` and :meth:`stop` from the test's thread; the
    counters and :attr:`errors` may be read from any thread.

    Attributes:
        opened: Clients whose opening handshake completed.
        finished: Clients that got every echo back.
        errors: What went wrong, one line per client that failed.
    """

    def __init__(self, url: str, count: int, packets: int, *, opening_at_once: int = 50, timeout_s: float = 60.0) -> None:
        self.url = url
        self.count = count
        self.packets = packets
        self.opening_at_once = opening_at_once
        self.timeout_s = timeout_s
        self.opened = 0
        self.finished = 0
        self.errors: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-client-crowd", daemon=True)

    @property
    def done(self) -> bool:
        """Whether every client finished or failed."""
        return self.finished + len(self.errors) >= self.count

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Closes every client (1000) and ends the thread."""
        loop, release = self._loop, self._release
        if loop is not None and release is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(release.set)
            except RuntimeError:  # the loop ended already
                pass
        self._thread.join(timeout_s)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        from websockets.asyncio.client import connect

        self._loop = asyncio.get_running_loop()
        self._release = asyncio.Event()
        self._ready.set()
        opening = asyncio.Semaphore(self.opening_at_once)

        async def one(number: int) -> None:
            try:
                async with opening:
                    connection = await connect(self.url, open_timeout=self.timeout_s, max_queue=None)
                self.opened += 1
            except Exception as exc:  # noqa: BLE001 - reported to the test
                self.errors.append(f"client {number} did not open: {exc!r}")
                return
            try:
                for packet in range(self.packets):
                    await connection.send(packet_text(number, packet))
                for packet in range(self.packets):
                    echo = await asyncio.wait_for(connection.recv(), self.timeout_s)
                    if echo != packet_text(number, packet):
                        self.errors.append(f"client {number}: echo {packet} was {echo!r}")
                        return
                self.finished += 1
                await self._release.wait()
            except Exception as exc:  # noqa: BLE001 - reported to the test
                self.errors.append(f"client {number} failed: {exc!r}")
            finally:
                await connection.close()

        await asyncio.gather(*(one(number) for number in range(self.count)))
