"""The README's "What the suite proves" is drawn from the tests themselves: this fails when the
two disagree, and prints the section to paste (or run `python -m tests.test_readme` to write it)."""

# ruff: noqa: RUF001 (the README writes the multiplication sign)
from __future__ import annotations

import re
import sys
from pathlib import Path

from registry import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
HEADING = "## What the suite proves"
SECTION = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.M | re.S)


def render() -> str:
    from tests.common import access
    from tests.functional.accounts import test_sessions, test_sign_in_throttle
    from tests.functional.badinput.corpus import BAD_NUMBERS, BAD_VALUES
    from tests.functional.badinput.test_api_bodies import BODIES
    from tests.functional.badinput.test_csv_import import BAD_FILES
    from tests.functional.faults.test_database_gone import PAGES
    from tests.functional.faults.test_search_index import DAMAGE
    from tests.functional.opendata import test_csv_formulas, test_expansion_limits
    from tests.functional.opendata.test_import_cli import BROKEN
    from tests.functional.search import test_breadth as search_page_breadth
    from tests.functional.security.test_access_matrix import SECURITY_HEADERS
    from tests.functional.security.test_web_security import COMMON, OFF_SITE
    from tests.load.test_load import CLIENTS
    from tests.unit.search import test_breadth as search_breadth

    views = access.route_views()
    gets = sum(v.method == "GET" for v in views)
    posts = sum(v.method == "POST" for v in views)
    csrf = sum(v.method == "POST" and v.require_csrf for v in views)
    roles = len(access.ROLES)
    faults = 1 + 1 + len(DAMAGE)  # a killed import, the database gone, the index damaged
    sessions, throttled, searches, expansions, formulas = (
        _tests(search_breadth, search_page_breadth) if module is search_breadth else _tests(module)
        for module in (
            test_sessions,
            test_sign_in_throttle,
            search_breadth,
            test_expansion_limits,
            test_csv_formulas,
        )
    )
    return f"""{HEADING}

Counted from the tests by `tests/test_readme.py`, which fails when this section falls behind them.
Everything runs in `make test` on SQLite and again on PostgreSQL (`.ci/run`).

| Promise | What is checked | Count |
|---|---|---|
| Nobody does what their role may not | every route with a view ({gets} GET, {posts} POST) requested by each of the {roles} roles (anonymous, officer, auditor, supplier, admin), per-object routes for the role's own record and another's; the outcome is what the declared permission grants. A view without a permission fails | {gets + posts} route methods × {roles} roles = {(gets + posts) * roles} |
| No draft leaks | a crawler follows every link from `/` as a visitor, with a draft planted in every table that has a draft state and a published assessment of a draft contract; every page of an assessment (its reply form and that form's errors too) is 404 to whoever may not see the assessment; a draft contract cannot be assessed; a reference clash or a predecessor that is another buyer's draft says nothing about it; public histories name roles and organisations, not staff e-mail addresses | every reachable page |
| No forged requests | every unsafe form route, posted without its CSRF token by a role that may use it: a 400, nothing written | {csrf} routes |
| Security headers | {len(SECURITY_HEADERS)} headers on every response above, whatever its status, and on assets and error pages | every response |
| Bad input never breaks anything | {len(BAD_VALUES)} kinds of bad value (empty, overlong, wrong type, SQL and script injection, non-UTF-8, and numbers no record can have: Unicode digits, past the id column, past 64 bits, 5,000 digits) in every field of every form the crawler finds, an uploaded OCDS file included; the same {len(BAD_NUMBERS)} numbers in every numeric part of every GET route's address (a 404 page) and in every query parameter the pages and the API use (never a 5xx); {len(BODIES)} bad JSON bodies (a lone surrogate, NUL, nested 5,000 levels, NaN) on both API writes, and API money kept to the last digit; a sign-in `next=` past Latin-1; {len(BAD_FILES)} bad CSV files and a huge one; {len(BROKEN)} broken OCDS files (with `--strict`; without it the unreadable one is refused and the others import with their faults as findings); the API fuzzed against its OpenAPI document (schemathesis). Each gets a message naming the field, line or JSON path, a 4xx, and no row written | {len(BAD_VALUES)} × every form field, {len(BAD_NUMBERS)} × every numeric route and query parameter, {len(BODIES)} × 2 API writes, {len(BAD_FILES) + 1 + len(BROKEN)} files |
| Requests cannot tie up the server | wildcard searches bounded on the page and the API, on both search backends (a literal prefix, a cap on the words a wildcard stands for, a time budget; "too broad" is a 400 naming the query) ({searches} checks); uploads and imports bounded on what they expand to (decompressed size, longest string or line, nesting, runs of digits), refused early naming the limit with only a ledger entry written ({expansions} checks); CSV downloads neutralise formula cells, JSON unchanged ({formulas} checks) | {searches + expansions + formulas} checks |
| Faults are survived | an OCDS import killed with SIGKILL half-way (consistent, re-runs without duplicates); the database going away ({len(PAGES)} pages and the API answer 503, then recover); the search index lost, and corrupted (no data lost; `registry reindex` restores it) | {faults} faults × 2 databases |
| It holds under load | {CLIENTS} clients on loopback mixing reads, API and form writes for `REGISTRY_LOAD_SECONDS` (60): no errors, every write stored once, `registry audit verify` intact | 1 run per database |
| Accounts are safe | the session changes at sign-in; sessions live in the database: a copy of the cookie is anonymous after sign-out (on every device), a password reset, deactivation then reactivation, a role change and expiry, a stale form writes nothing, the cookie names nobody, signed-in responses are `private, no-store` ({sessions} checks); sign-in throttled per client and per account, so a stranger cannot lock out a named auditor ({throttled} checks); {len(OFF_SITE)} off-site `next` addresses refused; {len(COMMON)} common passwords refused (12 characters at least, zxcvbn score 3 or more); revoked API tokens stop working | {len(OFF_SITE) + len(COMMON) + 3 + sessions + throttled} checks |
| People can use it | four browser journeys in Debian's chromium (public, officer, auditor, supplier), axe-core on every page visited: no serious or critical violation | 4 journeys |
"""


def _tests(*modules: object) -> int:
    """The test functions of the modules, their test classes' methods included."""
    count = 0
    for module in modules:
        for name, value in vars(module).items():
            if name.startswith("test_") and callable(value):
                count += 1
            elif name.startswith("Test") and isinstance(value, type):
                count += sum(n.startswith("test_") for n in vars(value))
    return count


def test_the_readme_says_what_the_suite_proves() -> None:
    wanted = render()
    found = SECTION.search(README.read_text(encoding="utf-8"))
    assert found is not None, f"README.md has no {HEADING!r} section; add:\n\n{wanted}"
    assert found.group(0).rstrip() == wanted.rstrip(), (
        f"README.md's {HEADING!r} is out of date: run `python -m tests.test_readme`, or paste:\n\n"
        + wanted
    )


def write(path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    section = render().rstrip() + "\n\n"
    found = SECTION.search(text)
    if found is None:
        text = text.replace("\n## Layout", f"\n{section}## Layout", 1)
    else:
        text = text[: found.start()] + section + text[found.end() :]
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write()
    sys.exit(0)
