"""Server-Sent Events: what the builder threads announce reaches every open browser tab."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, AsyncIterator

HEARTBEAT_S = 15.0


class Broadcaster:
    """Fan-out of events from any thread to each connected client's asyncio queue."""

    def __init__(self) -> None:
        self._clients: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []
        self._lock = threading.Lock()

    def publish(self, event: dict[str, Any]) -> None:
        with self._lock:
            clients = list(self._clients)
        for loop, queue in clients:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the loop closed: the server is stopping
                pass

    async def stream(self) -> AsyncIterator[str]:
        """`data: {...}` lines for one client until it disconnects; a comment now and then keeps proxies open."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        client = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._clients.append(client)
        try:
            yield "retry: 1000\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except asyncio.TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
        finally:
            with self._lock:
                self._clients.remove(client)
