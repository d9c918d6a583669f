"""Public pages, cold and under load, each beside a hello-world Pyramid view measured the same way
in the same run (issue 21):

- cold, in-process: the real app called as WSGI, each request a different record drawn at random,
  no HTTP cache (no If-None-Match), median and p95 per page kind;
- a conditional GET answered 304: each of those pages asked again with its ETag (every answer
  must be a 304), beside hello-world in-process;
- under load: Debian's wrk on loopback (2 threads, 8 connections) against waitress (4 threads, as
  production.ini) in its own process, each request to a record drawn at random, p50/p95/p99.

    python -m bench.pages --database-url URL [--seconds 6] [--connections 8] [--records 60]
    python -m bench.pages serve --database-url URL --port N     (the server, run by the above)

The database is one `bench.generate` filled and `registry detect --full` ran on (its flags, and
the market and record figures the pages read, stored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.figures import figure
from registry.db import create_engine

THREADS = 4
HELLO = "/__bench_hello"
HELLO_PAGE = "hello-world view"
PAGES = ("supplier", "buyer", "framework", "market", "flag")
CONDITIONAL = "conditional GET (304)"
SEED = 21  # the same records every run
COLD_RECORDS = 60  # per page kind, each asked once
# Issue 21's targets.
COLD_MEDIAN_MS = 25
COLD_P95_MS = 60
LOAD_P95_MS = 150
CONDITIONAL_RATIO = 2
ENVIRONMENT = {
    "REGISTRY_SESSION_SECRET": "bench-" + "x" * 40,
    "REGISTRY_INDEX_DIR": str(Path(tempfile.gettempdir()) / "registry-bench-index"),
}
LUA = """
paths = {%s}
tags = {%s}
expected = %d
unexpected = 0
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
request = function()
  local i = math.random(#paths)
  if #tags == 0 then return wrk.format(nil, paths[i]) end
  return wrk.format(nil, paths[i], {["If-None-Match"] = tags[i]})
end
response = function(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end
done = function(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do wrong = wrong + thread:get("unexpected") end
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + wrong, latency.max))
end
"""


def make_app(url: str) -> Any:
    """The real registry app, and a hello-world Pyramid app at HELLO, behind one dispatcher."""
    from pyramid.config import Configurator
    from pyramid.response import Response

    from registry.config import configure, freeze_start_up

    # As production.ini: market figures kept five minutes per process.
    settings = {"sqlalchemy.url": url, "registry.markets.cache_seconds": "300"}
    registry_app = configure(settings).make_wsgi_app()
    freeze_start_up({"registry.gc_freeze": "true"})  # as the ini files have it
    with Configurator() as config:
        config.add_route("hello", HELLO)
        config.add_view(lambda request: Response("Hello world"), route_name="hello")
        hello_app = config.make_wsgi_app()

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        app = hello_app if environ.get("PATH_INFO") == HELLO else registry_app
        return app(environ, start_response)

    dispatch.registry = registry_app.registry  # type: ignore[attr-defined]
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


def sample_paths(url: str, count: int = 200, seed: int = SEED) -> dict[str, list[str]]:
    """Paths of each page kind, `count` records drawn at random from every record of that kind
    (every CPV market with stored figures), the same ones for the same data and seed."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:

            def column(sql: str) -> list[Any]:
                return sorted(conn.execute(sa.text(sql)).scalars())

            found = {
                "supplier": column("SELECT id FROM suppliers"),
                "buyer": column("SELECT id FROM buyers"),
                "framework": column("SELECT reference FROM frameworks"),
                "market": column(
                    "SELECT market_key FROM market_figures WHERE market_key LIKE 'cpv-%'"
                ),
                "flag": column("SELECT id FROM flags"),
            }
    finally:
        engine.dispose()
    draw = random.Random(seed)
    prefixes = {
        "supplier": "/suppliers/",
        "buyer": "/buyers/",
        "framework": "/frameworks/",
        "market": "/markets/",
        "flag": "/flags/",
    }
    return {
        page: [f"{prefixes[page]}{r}" for r in draw.sample(records, min(count, len(records)))]
        for page, records in found.items()
    }


def _spread(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "requests": len(ordered),
        "p50_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max_ms": ordered[-1],
    }


def _dispose(app: Any) -> None:
    for name in ("sqlalchemy.engine", "sqlalchemy.read_engine"):
        engine = app.registry.get(name)
        if engine is not None:
            engine.dispose()


def cold(
    url: str, base: str, paths: dict[str, list[str]], records: int, seconds: float
) -> tuple[dict[str, dict[str, float]], list[tuple[str, str]]]:
    """Each page kind asked in-process for `records` different records (fewer when `seconds`
    run out first), without If-None-Match, so no cache can answer: the cost of a record nobody
    has asked for yet. One record of each kind first, untimed, so the first request's template
    compiling and imports are not counted. Then each of those pages asked again with its ETag,
    which must be answered 304; hello-world is timed in-process beside both. Asked as from
    `base`, so the ETags (which name the host) are the ones the server there gives: returned
    with their paths."""
    from webob import Request

    previous = {k: os.environ.get(k) for k in ENVIRONMENT}
    os.environ.update(ENVIRONMENT)
    try:
        app = make_app(url)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def timed(path: str, headers: dict[str, str] | None = None) -> tuple[float, Any]:
        request = Request.blank(path, base_url=base, headers=headers or {})
        started = time.perf_counter()
        response = request.get_response(app)
        return (time.perf_counter() - started) * 1000, response

    results: dict[str, dict[str, float]] = {}
    tagged: list[tuple[str, str]] = []
    hello: list[float] = []
    try:
        timed(HELLO)
        for page in PAGES:
            if not paths.get(page):
                continue
            warm, *rest = paths[page]
            status = timed(warm)[1].status
            if not status.startswith("200"):
                raise RuntimeError(f"{warm} answered {status}")
            ms: list[float] = []
            untagged = 0
            deadline = time.perf_counter() + seconds
            for path in rest[:records] or [warm]:
                took, response = timed(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status}")
                ms.append(took)
                hello.append(timed(HELLO)[0])  # beside each page, so both see the same load
                tag = response.headers.get("ETag")
                if tag:
                    tagged.append((path, tag))
                else:
                    untagged += 1
                if time.perf_counter() > deadline:
                    break
            results[page] = {**_spread(ms), "untagged": untagged}
        results[HELLO_PAGE] = _spread(hello)
        results[CONDITIONAL] = _conditional(timed, tagged)
    finally:
        _dispose(app)
    return results, tagged


def _conditional(
    timed: Callable[..., tuple[float, Any]], tagged: list[tuple[str, str]], rounds: int = 3
) -> dict[str, float]:
    """Each page asked again with the ETag it gave; every answer must be a 304."""
    if not tagged:
        raise RuntimeError("no page carried an ETag: a conditional GET cannot be answered 304")
    ms: list[float] = []
    hello: list[float] = []
    for _ in range(rounds):
        for path, tag in tagged:
            took, response = timed(path, {"If-None-Match": tag})
            if response.status_code != 304:
                raise RuntimeError(f"{path} with If-None-Match {tag} answered {response.status}")
            ms.append(took)
            hello.append(timed(HELLO)[0])
    found = _spread(ms)
    found["hello_p50_ms"] = statistics.median(hello)
    found["hello_p95_ms"] = _spread(hello)["p95_ms"]
    return found


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
    base: str,
    paths: list[str],
    seconds: int,
    connections: int,
    tags: list[str] | None = None,
    expected: int = 200,
) -> dict[str, float]:
    """Requests to the paths, each drawn at random; with tags, each sent with its If-None-Match.
    An answer with another status than `expected` counts as an error."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            LUA
            % (
                ", ".join(json.dumps(p) for p in paths),
                ", ".join(json.dumps(t) for t in tags or []),
                expected,
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
    if not requests:
        raise RuntimeError(f"wrk finished no request to {paths[:3]} in {seconds} s")
    return {
        "requests": requests,
        "rps": requests / (duration_us / 1e6),
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "errors": errors,
    }


def load(
    base: str,
    url: str,
    paths: dict[str, list[str]],
    tagged: list[tuple[str, str]],
    seconds: int = 6,
    connections: int = 8,
) -> dict[str, dict[str, float]]:
    """Hello-world, each page kind, then the pages asked with their ETags (every answer must be
    a 304), under wrk's load against waitress in its own process at `base`."""
    port = int(base.rsplit(":", 1)[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.pages", "serve", "--database-url", url, "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, **ENVIRONMENT},
    )
    results = {}
    try:
        _wait(base, server)
        results[HELLO_PAGE] = wrk(base, [HELLO], seconds, connections)
        for page in PAGES:
            if not paths.get(page):
                continue
            for path in paths[page][:2]:  # warm up, and fail loudly on a broken page
                urllib.request.urlopen(base + path, timeout=60).read()  # noqa: S310
            results[page] = wrk(base, paths[page], seconds, connections)
        if tagged:
            results[CONDITIONAL] = wrk(
                base,
                [p for p, _ in tagged],
                seconds,
                connections,
                [t for _, t in tagged],
                expected=304,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def measure(
    url: str,
    seconds: int = 6,
    connections: int = 8,
    records: int = COLD_RECORDS,
    cold_seconds: float | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Cold in-process first (no record asked before), then under load on other records. Each
    page kind is asked cold for at most `cold_seconds` (half the load's `seconds` unless given):
    fewer records when a page is slow, so the phase keeps to its budget."""
    if cold_seconds is None:
        cold_seconds = seconds / 2
    paths = sample_paths(url, records + 1 + 200)
    base = f"http://127.0.0.1:{_free_port()}"
    cold_results, tagged = cold(
        url, base, {p: ps[: records + 1] for p, ps in paths.items()}, records, cold_seconds
    )
    loaded = load(
        base,
        url,
        {p: ps[records + 1 :] or ps for p, ps in paths.items()},
        tagged,
        seconds,
        connections,
    )
    return {"cold": cold_results, "load": loaded}


def figures(measured: dict[str, dict[str, dict[str, float]]]) -> list[dict[str, Any]]:
    """Issue 21's page rows, each beside hello-world measured the same way in the same run."""
    found: list[dict[str, Any]] = []
    cold, loaded = measured["cold"], measured["load"]
    hello = cold[HELLO_PAGE]
    for page in PAGES:
        if page not in cold:
            continue
        f = cold[page]
        n = f"{f['requests']:.0f} records"
        found += [
            figure(
                f"{page} page cold, in-process, median ms",
                f["p50_ms"],
                hello["p50_ms"],
                f"<= {COLD_MEDIAN_MS} ms",
                f["p50_ms"] <= COLD_MEDIAN_MS,
                n,
            ),
            figure(
                f"{page} page cold, in-process, p95 ms",
                f["p95_ms"],
                hello["p95_ms"],
                f"<= {COLD_P95_MS} ms",
                f["p95_ms"] <= COLD_P95_MS,
                f"{n}, max {f['max_ms']:.1f}"
                + (f"; {f['untagged']:.0f} without an ETag" if f.get("untagged") else ""),
            ),
        ]
    hello = loaded[HELLO_PAGE]
    for page in PAGES:
        if page not in loaded:
            continue
        f = loaded[page]
        found.append(
            figure(
                f"{page} page under load, p95 ms",
                f["p95_ms"],
                hello["p95_ms"],
                f"<= {LOAD_P95_MS} ms",
                f["p95_ms"] <= LOAD_P95_MS and not f["errors"],
                f"p50 {f['p50_ms']:.1f}, p99 {f['p99_ms']:.1f}; {f['rps']:.0f} req/s "
                f"(hello-world {hello['rps']:,.0f}); {f['errors']:.0f} errors",
            )
        )
    conditional = loaded.get(CONDITIONAL)
    if conditional is not None:
        found.append(
            figure(
                f"{CONDITIONAL} under load, p95 ms",
                conditional["p95_ms"],
                hello["p95_ms"],
                f"<= {CONDITIONAL_RATIO}x hello-world",
                conditional["p95_ms"] <= CONDITIONAL_RATIO * hello["p95_ms"]
                and not conditional["errors"],
                f"p50 {conditional['p50_ms']:.1f} (hello-world {hello['p50_ms']:.1f}); "
                f"{conditional['rps']:,.0f} req/s (hello-world {hello['rps']:,.0f}); "
                f"{conditional['errors']:.0f} not 304",
            )
        )
    return found


def describe(measured: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines = []
    for page, f in measured["cold"].items():
        extra = (
            f" (asked with its ETag; hello-world p50 {f['hello_p50_ms']:.2f} ms)"
            if page == CONDITIONAL
            else ""
        )
        where = "in-process:" if page in (HELLO_PAGE, CONDITIONAL) else "cold, in-process:"
        lines.append(
            f"{where:<17} {page:<22} p50 {f['p50_ms']:7.2f} ms  p95 {f['p95_ms']:7.2f} ms  "
            f"max {f['max_ms']:7.1f} ms  {f['requests']:.0f} requests"
            + (f", {f['untagged']:.0f} without an ETag" if f.get("untagged") else "")
            + extra
        )
    for page, f in measured["load"].items():
        lines.append(
            f"under load:       {page:<22} p50 {f['p50_ms']:7.1f} ms  p95 {f['p95_ms']:7.1f} ms  "
            f"p99 {f['p99_ms']:7.1f} ms  {f['rps']:8.1f} req/s  errors {f['errors']:.0f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="measure", choices=["measure", "serve"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--records", type=int, default=COLD_RECORDS)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.database_url, args.port)
        return 0
    measured = measure(args.database_url, args.seconds, args.connections, args.records)
    print("\n".join(describe(measured)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
