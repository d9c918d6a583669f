"""The real app served by waitress on a loopback port, for tests that go through real HTTP
(browser journeys, the load test)."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server


class LiveServer:
    def __init__(self, app: Any, settings: dict[str, Any] | None = None, threads: int = 4) -> None:
        self.settings = settings or {}
        self.server = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
        self.thread.join(timeout=10)
