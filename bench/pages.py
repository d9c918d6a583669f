"""Public pages under load: p50/p95/p99 and requests/s of the supplier, market, flag and framework
pages, beside a hello-world Pyramid view served by the same waitress server, threads and load.

    python -m bench.pages --database-url URL [--seconds 10] [--connections 8]
    python -m bench.pages serve --database-url URL --port N     (the server, run by the above)

The database is one `bench.generate` filled (and `registry detect` flagged, its market figures
stored: `store_market_figures`). The server runs in its own process (waitress, 4 threads, as
production.ini); the load comes from Debian's wrk on loopback, bounded in time, each request to a
page drawn at random from a list of real paths.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.figures import figure
from registry.db import create_engine

THREADS = 4
HELLO = "/__bench_hello"
CONDITIONAL = "conditional GET (304)"
LUA = """
paths = {%s}
tags = {%s}
request = function()
  local i = math.random(#paths)
  if #tags == 0 then return wrk.format(nil, paths[i]) end
  return wrk.format(nil, paths[i], {["If-None-Match"] = tags[i]})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, latency.max))
end
"""


def make_app(url: str) -> Any:
    """The real registry app, and a hello-world Pyramid app at HELLO, behind one dispatcher."""
    from pyramid.config import Configurator
    from pyramid.response import Response

    from registry.config import configure

    # As production.ini: market figures kept five minutes per process.
    settings = {"sqlalchemy.url": url, "registry.markets.cache_seconds": "300"}
    registry_app = configure(settings).make_wsgi_app()
    with Configurator() as config:
        config.add_route("hello", HELLO)
        config.add_view(lambda request: Response("Hello world"), route_name="hello")
        hello_app = config.make_wsgi_app()

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        app = hello_app if environ.get("PATH_INFO") == HELLO else registry_app
        return app(environ, start_response)

    return dispatch


def serve(url: str, port: int) -> None:
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a full queue is the point here
    waitress.serve(make_app(url), host="127.0.0.1", port=port, threads=THREADS, _quiet=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def store_market_figures(url: str) -> tuple[int, float]:
    """What `registry detect` does after its detectors: every market's figures stored, which the
    market pages read (markets, seconds taken)."""
    from sqlalchemy.orm import Session

    from registry.markets.figures import refresh_market_figures
    from registry.markets.services import DEFAULT_CPV_DEPTH

    engine = create_engine(url)
    try:
        started = time.perf_counter()
        with Session(engine) as db, db.begin():
            count = refresh_market_figures(db, DEFAULT_CPV_DEPTH)
        return count, time.perf_counter() - started
    finally:
        engine.dispose()


def sample_paths(url: str, per_page: int = 200) -> dict[str, list[str]]:
    """Real paths of each page, the busiest records first (what users open most)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def column(sql: str) -> list[Any]:
                return list(conn.execute(sa.text(sql), {"n": per_page}).scalars())

            suppliers = column(
                "SELECT supplier_id FROM contracts GROUP BY supplier_id "
                "ORDER BY count(*) DESC LIMIT :n"
            )
            markets = column(
                "SELECT substr(cpv_code, 1, 5) FROM contracts WHERE cpv_code IS NOT NULL "
                "GROUP BY substr(cpv_code, 1, 5) ORDER BY count(*) DESC LIMIT :n"
            )
            flags = column("SELECT id FROM flags ORDER BY id LIMIT :n")
            frameworks = column("SELECT reference FROM frameworks ORDER BY id LIMIT :n")
    finally:
        engine.dispose()
    return {
        "hello-world view": [HELLO],
        "supplier": [f"/suppliers/{i}" for i in suppliers],
        "market": [f"/markets/cpv-{m}" for m in markets],
        "flag": [f"/flags/{i}" for i in flags],
        "framework": [f"/frameworks/{r}" for r in frameworks],
    }


def _wait(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            urllib.request.urlopen(base + HELLO, timeout=2).read()  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not answer in time")


def wrk(
    base: str, paths: list[str], seconds: int, connections: int, tags: list[str] | None = None
) -> dict[str, float]:
    """Requests to the paths drawn at random; with tags, each sent with its If-None-Match."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            LUA
            % (
                ", ".join(json.dumps(p) for p in paths),
                ", ".join(json.dumps(t) for t in tags or []),
            )
        )
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration_us, p50, p95, p99, errors, _max = map(int, match.groups())
    return {
        "requests": requests,
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "errors": errors,
    }


def _etag(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
        response.read()
        return str(response.headers.get("ETag") or "")


def measure(url: str, seconds: int = 10, connections: int = 8) -> dict[str, dict[str, float]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "REGISTRY_SESSION_SECRET": "bench-" + "x" * 40,
        "REGISTRY_INDEX_DIR": str(Path(tempfile.gettempdir()) / "registry-bench-index"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.pages", "serve", "--database-url", url, "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    results = {}
    try:
        _wait(base, server)
        for page, paths in sample_paths(url).items():
            if not paths:
                continue
            for path in paths[:3]:  # warm up, and fail loudly on a broken page
                urllib.request.urlopen(base + path, timeout=60).read()  # noqa: S310
            results[page] = wrk(base, paths, seconds, connections)
        # Issue 21: a visitor's page asked again with its ETag, answered 304 before rendering.
        public = [
            p
            for name, ps in sample_paths(url, 50).items()
            if name != "hello-world view"
            for p in ps
        ]
        tagged = [(p, _etag(base + p)) for p in public]
        tagged = [(p, t) for p, t in tagged if t]
        if tagged:
            results[CONDITIONAL] = wrk(
                base, [p for p, _ in tagged], seconds, connections, [t for _, t in tagged]
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def conditional_figure(conditional: dict[str, float], hello: dict[str, float]) -> dict[str, Any]:
    """Issue 21's target: a conditional GET answered 304 costs at most twice hello-world's time."""
    return figure(
        f"{CONDITIONAL} p95, ms",
        conditional["p95_ms"],
        hello["p95_ms"],
        "<= 2x hello-world",
        conditional["p95_ms"] <= 2 * hello["p95_ms"],
        f"p50 {conditional['p50_ms']:.1f} (hello-world {hello['p50_ms']:.1f}); "
        f"{conditional['rps']:.0f} req/s (hello-world {hello['rps']:.0f})",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="measure", choices=["measure", "serve"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.database_url, args.port)
        return 0
    results = measure(args.database_url, args.seconds, args.connections)
    for page, figures in results.items():
        print(
            f"{page:<18} p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
            f"p99 {figures['p99_ms']:7.1f} ms  {figures['rps']:8.1f} req/s  "
            f"errors {figures['errors']:.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
