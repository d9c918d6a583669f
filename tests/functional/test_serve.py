"""What `make run` does, for real: init, seed, and waitress serving / and /login over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from registry import PROJECT_ROOT
from tests.conftest import DatabaseFactory

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_make_run_commands_serve_home_and_login(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    port = _free_port()
    ini = tmp_path / "serve.ini"
    ini.write_text(
        (PROJECT_ROOT / "development.ini")
        .read_text()
        .replace("listen = 127.0.0.1:6543", f"listen = 127.0.0.1:{port}")
        .replace("%(here)s/var", str(tmp_path / "var"))
    )
    env = dict(os.environ)
    env.pop("REGISTRY_DATABASE_URL", None)
    if os.environ.get("REGISTRY_DATABASE_URL", "").startswith("postgresql"):
        env["REGISTRY_DATABASE_URL"] = database_factory.fresh()
    for command in (["init"], ["seed", "--if-empty"]):
        subprocess.run(
            [BIN / "registry", "--config", ini, *command],
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    server = subprocess.Popen(
        [BIN / "pserve", str(ini)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    home = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"the server did not start:\n{output}")
                time.sleep(0.3)
        assert "Supplier Accountability Registry" in home
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            login = response.read().decode()
        assert 'name="csrf_token"' in login
        assert "Sign in" in login
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
