"""How an import keeps Python's garbage collector from costing a third of its time."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Python's cyclic garbage collector, run at its usual pace, took a third of an import's time:
# every 700 allocations it looked again at the releases, rows and the whole loaded program. While
# an import runs, the objects from before it are set aside (gc.freeze) and collections come less
# often; cycles are still collected, so memory stays bounded. A release is a tree of dicts and
# lists, freed by reference counting once its batch is written: at one collection every fifty
# thousand allocations they still took about a tenth of an import's CPU (20,000 releases).
_GC_THRESHOLD = (500_000, 50, 1000)
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*_GC_THRESHOLD)
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)
                gc.unfreeze()
