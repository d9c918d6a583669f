"""Supplier Accountability Registry: holds IT suppliers on public-sector frameworks to account."""

from setuptools import find_packages, setup

install_requires = [
    "alembic>=1.13",
    "argon2-cffi>=23.1",
    "click>=8.1",
    "email-validator>=2.1",
    "govuk-frontend-jinja==4.1.0",  # pinned with the govuk-frontend 6.3.0 npm package
    "ijson>=3.2",
    "jsonschema>=4.21",
    "msgspec>=0.18",  # the import reads JSON Lines with it: numbers to Decimal as published
    "ocdsmerge>=0.8",  # compiles record packages that lack a compiledRelease
    "openapi-core>=0.19",
    "orjson>=3.9",  # the import's release hashes: canonical JSON, ten times faster than json
    "psycopg[binary]>=3.1",
    "pyramid>=2.0.2,<3",
    "pyramid_jinja2>=2.10",
    "pyramid_services>=2.2",
    "pyramid_tm>=2.5",
    "PyYAML>=6.0",
    "rich>=13",
    "SQLAlchemy>=2.0.30,<2.2",
    "waitress>=3.0",
    "whoosh-reloaded>=2.7.5",
    "WTForms>=3.1",
    "zope.sqlalchemy>=3.1",
    "zxcvbn>=4.5",  # password policy: refuses common and easily guessed passwords
]

tests_require = [
    "factory-boy>=3.3",
    "hypothesis>=6.100",
    "playwright>=1.45",  # drives Debian's chromium (/usr/bin/chromium); no browser download
    "pytest>=8",
    "pytest-cov>=6",  # make test reports how much of registry/ the suite runs
    "pytest-mock>=3.12",
    "pytest-xdist>=3.5",  # make test runs the suite on every core
    "schemathesis>=4.0",
    "WebTest>=3.0",
]

dev_requires = [
    "import-linter>=2.1",  # make lint checks the packages' import rules (pyproject.toml)
    "mypy>=1.10",
    "ruff>=0.5",
]

# `make bench` only: the OCDS peers our import is measured against.
bench_requires = [
    "ocdscardinal>=0.0.8",  # the Open Contracting Partnership's Rust engine (coverage)
    "ocdskit>=1.1",  # `ocdskit compile`
    "orjson>=3.9",  # bench.generate writes the OCDS JSON Lines with it
]

setup(
    name="supplier-accountability-registry",
    version="0.1.0",
    description=__doc__,
    python_requires=">=3.11",
    packages=find_packages(include=["registry", "registry.*"]),
    include_package_data=True,
    install_requires=install_requires,
    extras_require={"test": tests_require, "dev": dev_requires, "bench": bench_requires},
    entry_points={
        "console_scripts": ["registry = registry.cli:main"],
        "paste.app_factory": ["main = registry.config:main"],
    },
)
