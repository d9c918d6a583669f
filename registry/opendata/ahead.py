"""Read a file's releases ahead, in a thread of its own, while the batch before them is written.

Why: on PostgreSQL a batch's writes are mostly the server's work (indexes, foreign keys, search
vectors), on a CPU of its own; the import's own thread only waits for it, with the GIL released.
Reading, hashing and cleaning the next releases meanwhile takes that wait off the import's time.
Not on SQLite: it releases the GIL for each row it steps through, and a thread busy reading would
make it wait for the GIL again after every row.

The reader and the writer share the import's summary and findings, so they take turns: the
reader holds `gate` for each release it reads, the writer while it counts and records (see
writing.Writer), never while it waits for the database.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

# Releases read ahead at most: about a batch's worth of memory.
DEPTH = 2000


def reads_ahead(db: Session) -> bool:
    """Whether an import into this database reads ahead (PostgreSQL's; see above)."""
    return db.get_bind().dialect.name == "postgresql"


class _End:
    """The last item of the queue: the releases ran out, or reading them raised `error`."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class ReadAhead:
    """Iterates over `items` (a generator), which a thread of its own runs ahead; each item as
    `then` makes it, when given (work of the item's own, done outside the gate)."""

    def __init__(self, items: Iterator[Any], then: Callable[[Any], Any] | None = None) -> None:
        self.items = items
        self.then = then
        self.gate = threading.Lock()
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=DEPTH)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, name="ocds-read-ahead", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        end = _End()
        try:
            while not self.stopping.is_set():
                with self.gate:
                    try:
                        item = next(self.items)
                    except StopIteration:
                        break
                if self.then is not None:
                    item = self.then(item)
                self.queue.put(item)
        except BaseException as exc:  # raised again where the releases are used
            end = _End(exc)
        finally:
            close = getattr(self.items, "close", None)
            if close is not None:
                with self.gate:
                    close()  # the file is closed in this thread, not by the collector
        self.queue.put(end)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self.queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item

    def close(self) -> None:
        """Stop reading (the import ended, or failed) and wait for the thread."""
        self.stopping.set()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):  # make room for the reader's last put
                self.queue.get(timeout=0.05)
        self.thread.join()


@contextlib.contextmanager
def held(gate: threading.Lock | None) -> Iterator[None]:
    """Hold the reader's gate, if there is a reader ahead."""
    if gate is None:
        yield
        return
    with gate:
        yield
