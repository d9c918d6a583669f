"""A small file that expands to far more (a gzip bomb, one enormous string or line) is refused
as it is read, with the limit named, on the upload page and by `registry import ocds`; only its
ledger entry is written."""

from __future__ import annotations

import gc
import gzip
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.contracts.models import Contract
from registry.opendata.limits import IMPORT, UPLOAD, ReadLimits, import_limits, parse_size
from registry.opendata.models import ImportRun
from registry.opendata.reader import MAX_DEPTH, ReadError, iter_releases
from tests.common.cli import run_cli, write_ini
from tests.conftest import SHARED_DATA

GOOD = SHARED_DATA / "uk-contracts-finder-2025" / "release-package-2025-01-23.json"


def long_string_bomb(size: int) -> bytes:
    """A gzipped package whose first release's ocid is `size` letters: a few kB on disk."""
    return gzip.compress(b'{"releases":[{"ocid":"' + b"a" * size + b'","id":"1"}]}')


def padded_bomb(size: int) -> bytes:
    """A gzipped package of short strings (spaces between them) that decompresses to `size`."""
    return gzip.compress(b'{"releases":[' + b'{"ocid":"x"},' + b" " * size + b"{}]}")


def read_all(path: Path, limits: ReadLimits) -> None:
    for _ in iter_releases(path, limits=limits):
        pass


class TestReader:
    def test_the_decompressed_size_is_counted_as_it_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "bomb.json.gz"
        path.write_bytes(gzip.compress(b'{"releases":[' + b'"x",' * 500_000 + b'"x"]}'))
        assert path.stat().st_size < 10_000
        with pytest.raises(ReadError, match=r"more than 1 MB when decompressed .*max_bytes"):
            read_all(path, ReadLimits(max_bytes=1024**2, max_string=1024, max_line=1024))
        read_all(path, ReadLimits(max_bytes=4 * 1024**2, max_string=1024, max_line=1024))

    def test_a_long_string_is_refused_before_it_is_built(self, tmp_path: Path) -> None:
        path = tmp_path / "string.json.gz"
        path.write_bytes(long_string_bomb(300_000))
        limits = ReadLimits(max_bytes=1024**3, max_string=64 * 1024, max_line=1024)
        with pytest.raises(
            ReadError,
            match=r"a string \(or a stretch between two strings\) longer than 64 KB .*max_string",
        ):
            read_all(path, limits)
        read_all(path, limits.replace(max_string=400_000))

    def test_a_long_json_lines_line_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "lines.jsonl.gz"
        line = json.dumps({"ocid": "x", "id": "1", "tag": ["a"] * 50_000}).encode()
        path.write_bytes(gzip.compress(b'{"ocid":"y","id":"2"}\n' + line + b"\n"))
        with pytest.raises(ReadError, match=r"a line longer than 100 KB .*max_line"):
            read_all(path, ReadLimits(max_bytes=1024**3, max_string=1024, max_line=100 * 1024))
        read_all(path, ReadLimits(max_bytes=1024**3, max_string=1024, max_line=1024**2))

    def test_depth_stays_bounded(self, tmp_path: Path) -> None:
        path = tmp_path / "deep.json.gz"
        path.write_bytes(gzip.compress(b'{"releases":[' + b"[" * 5000 + b"]" * 5000 + b"]}"))
        with pytest.raises(ReadError, match=f"nested deeper than {MAX_DEPTH} levels"):
            read_all(path, UPLOAD)

    @pytest.mark.parametrize("name", ["long.json", "long.json.gz", "long.jsonl", "split.json"])
    def test_a_number_too_long_to_read_is_refused_not_a_crash(
        self, tmp_path: Path, name: str
    ) -> None:
        # Python will not turn 5,000 digits into an int; ijson's C parser, told so mid-stream,
        # could crash the whole process. The reader refuses the run of digits first, also when
        # it straddles two reads ("split": it starts just before the 64 kB buffer's end).
        number = b"9" * 5000
        release = b'{"ocid":"x","id":"1","tender":{"numberOfTenderers":' + number + b"}}"
        body = release + b"\n" if name.endswith(".jsonl") else b'{"releases":[' + release + b"]}"
        if name == "split.json":
            body = b'{"pad":"' + b"p" * (65536 - 2000 - 8) + b'","releases":[' + release + b"]}"
        path = tmp_path / name
        path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
        for limits in (None, UPLOAD):
            with pytest.raises(ReadError, match=r"a run of more than 4,000 digits"):
                for _ in iter_releases(path, limits=limits):
                    pass

    def test_real_files_are_within_the_default_limits(self) -> None:
        assert sum(1 for _ in iter_releases(GOOD, limits=UPLOAD)) > 0


def test_sizes_and_settings() -> None:
    assert parse_size("2G") == 2 * 1024**3 and parse_size("64k") == 65536
    assert parse_size("500MB") == 500 * 1024**2 and parse_size("123") == 123
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")
    assert import_limits({}) == IMPORT
    assert import_limits({"registry.import.max_string": "1M"}).max_string == 1024**2
    assert UPLOAD.max_bytes < IMPORT.max_bytes


def _ledger(url: str) -> tuple[list[str], int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT outcome FROM import_runs")).scalars().all()
            contracts = conn.execute(sa.text("SELECT count(*) FROM contracts")).scalar_one()
    finally:
        engine.dispose()
    return list(runs), contracts


@pytest.fixture
def ini(database_factory: Any, tmp_path: Path) -> tuple[Path, str]:
    url = database_factory.fresh()
    return write_ini(tmp_path, url), url


def refused(ini: tuple[Path, str], *args: str) -> str:
    """Run `registry import ...`: refused, only its ledger entry written; what it said."""
    result = run_cli(ini[0], "import", *args)
    assert result.exit_code == 1
    assert _ledger(ini[1]) == (["refused"], 0)
    return result.output + result.stderr


class TestCommandLine:
    def test_an_option_sets_the_limit_and_the_refusal_names_it(
        self, ini: tuple[Path, str], tmp_path: Path
    ) -> None:
        bomb = tmp_path / "bomb.json.gz"
        bomb.write_bytes(padded_bomb(3 * 1024**2))
        said = refused(ini, "ocds", "--max-bytes", "2M", str(bomb))
        assert "more than 2 MB when decompressed" in said
        assert "bomb.json.gz: refused; nothing from it was imported." in said

    def test_a_setting_sets_the_limit(self, ini: tuple[Path, str], tmp_path: Path) -> None:
        ini[0].write_text(ini[0].read_text() + "registry.import.max_string = 64K\n")
        bomb = tmp_path / "string.json.gz"
        bomb.write_bytes(long_string_bomb(200_000))
        assert "longer than 64 KB (the limit on the longest string, max_string)" in refused(
            ini, "ocds", str(bomb)
        )
        assert run_cli(ini[0], "import", "ocds", str(GOOD)).exit_code == 0  # real files fit

    def test_a_bad_size_is_a_usage_error(self, ini: tuple[Path, str]) -> None:
        result = run_cli(ini[0], "import", "ocds", "--max-line", "huge", str(GOOD))
        assert result.exit_code == 2 and "not a size" in result.output


def test_the_upload_page_refuses_a_bomb_naming_the_limit(
    webtest_app: webtest.TestApp,
    wsgi_app: Any,
    login_as: Any,
    db_session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login_as("admin")
    contracts = db_session.scalar(sa.select(sa.func.count()).select_from(Contract))
    for name, content, setting, message in [
        ("bomb.json.gz", padded_bomb(2 * 1024**2), "1M", "more than 1 MB when decompressed"),
        # The default longest string (16 MB) refuses this one before it is built.
        (
            "string.json.gz",
            long_string_bomb(17 * 1024**2),
            "",
            "a string (or a stretch between two strings) longer than 16 MB",
        ),
    ]:
        monkeypatch.setitem(wsgi_app.registry.settings, "registry.upload.max_bytes", setting)
        form = webtest_app.get("/data/import").forms[0]
        form["file"] = webtest.Upload(name, content)
        page = form.submit(status=400)
        assert message in page.text and "The file was not imported" in page.text
        db_session.expire_all()
        run = (
            db_session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc())).scalars().first()
        )
        assert run is not None and run.outcome == "refused" and run.source == name
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Contract)) == contracts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


class TestCsvImport:
    def test_a_file_over_the_limit_is_refused_before_it_is_read(
        self, ini: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from registry.cli import import_csv

        monkeypatch.setattr(import_csv, "MAX_BYTES", 1024)
        file = tmp_path / "suppliers.csv"
        file.write_text("name\n" + "A supplier\n" * 200)
        said = refused(ini, "csv", "suppliers", str(file))
        assert "larger than 1 KB (the limit on a CSV file)" in said

    def test_a_cell_longer_than_the_field_limit_refuses_the_file(
        self, ini: tuple[Path, str], tmp_path: Path
    ) -> None:
        file = tmp_path / "suppliers.csv"
        file.write_text('name\n"' + "a" * 200_000 + '"\n')
        assert "field larger than field limit (131072)" in refused(
            ini, "csv", "suppliers", str(file)
        )
