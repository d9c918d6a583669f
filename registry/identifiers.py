"""Identifiers and names: how suppliers and buyers are recognised across sources."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

# Companies House numbers: eight digits (England and Wales), or a two-letter prefix and six
# digits (SC Scotland, NI Northern Ireland, OC LLPs, and the other registers).
_CH_PREFIXES = "AC|CE|CS|FC|FE|GE|GN|GS|IC|IP|LP|NA|NF|NI|NL|NO|NP|NR|NZ|OC|R0|RC|SA|SC|SE|SF|SG|SI|SL|SO|SP|SR|SZ|ZC"
COMPANIES_HOUSE_RE = re.compile(rf"([0-9]{{8}}|(?:{_CH_PREFIXES})[0-9]{{6}})")
DUNS_RE = re.compile(r"[0-9]{9}")
# NHS Organisation Data Service codes: 3 to 6 letters and digits (GP practices: a letter and 5 digits).
ODS_RE = re.compile(r"[A-Z0-9]{3,6}")
CPV_RE = re.compile(r"[0-9]{8}(-[0-9])?")

# Legal-form words dropped when matching names: "EMIS Health Ltd" and "EMIS HEALTH LIMITED" match.
_LEGAL_FORM_WORDS = frozenset(
    (
        "limited",
        "ltd",
        "plc",
        "llp",
        "lp",
        "inc",
        "incorporated",
        "corporation",
        "corp",
        "company",
        "co",
        "the",
        "uk",
        "gb",
        "group",
    )
)
_LEGAL_FORMS = re.compile(rf"\b({'|'.join(sorted(_LEGAL_FORM_WORDS))})\b")


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def normalise_companies_house_number(value: str) -> str | None:
    """Upper-case, spaces removed, short numeric forms zero-padded; None when not a valid number."""
    text = _SPACES.sub("", value).upper()
    if re.fullmatch("[0-9]{1,7}", text):
        text = text.zfill(8)
    return text if COMPANIES_HOUSE_RE.fullmatch(text) else None


def is_duns(value: str) -> bool:
    return bool(DUNS_RE.fullmatch(value.replace("-", "").strip()))


def is_ods_code(value: str) -> bool:
    return bool(ODS_RE.fullmatch(value.strip().upper()))


def is_cpv_code(value: str) -> bool:
    return bool(CPV_RE.fullmatch(value.strip()))


def normalise_name(name: str) -> str:
    """Lower-case ASCII words without punctuation or legal-form words, for matching only.

    A name written wholly in another script (Armenian, Cyrillic) keeps its own letters,
    case-folded, by the same rule: dropping them would leave every such name the same."""
    if name.isascii():  # most names: decomposing them would change nothing
        text = name.lower()
    else:
        text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    # Left with ASCII letters, digits and spaces, its words are the runs between spaces: the
    # legal-form words are dropped as whole words (as _LEGAL_FORMS does), without a regex pass.
    words = _NOT_ALPHANUMERIC.sub(" ", text.replace("&", " and ")).split()
    key = " ".join([word for word in words if word not in _LEGAL_FORM_WORDS])[:300]
    if key or name.isascii():
        return key
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    text = _LEGAL_FORMS.sub(" ", re.sub(r"[\W_]+", " ", text))
    return _SPACES.sub(" ", text).strip()[:300]


NAME_PROBLEM = "Name must contain letters or digits besides 'Ltd' or 'plc'"


class UnusableName(ValueError):
    """A name with no letters or digits besides words like 'Ltd': nothing to match it by."""


@dataclasses.dataclass(frozen=True, slots=True)
class RecordName:
    """A supplier's or buyer's name as recorded (runs of spaces made one) and the key it is
    matched by (`normalise_name`). Made by `record_name`, so every way in names records alike."""

    name: str
    key: str

    def columns(self, *, party_id: str | None, illustrative: bool) -> dict[str, Any]:
        """The columns a supplier's and a buyer's row share (their builders add their own)."""
        return {
            "name": self.name,
            "normalised_name": self.key,
            "party_id": party_id,  # an identifier (PPON, OCDS org-id), never a release's own id
            "illustrative": illustrative,
        }


def record_name(name: str, *, refuse: bool = True) -> RecordName:
    """The one name rule for suppliers and buyers, whichever way they arrive.

    Raises UnusableName when the name normalises to nothing; with `refuse=False` (the OCDS
    import, which records that as a data-quality finding instead) the key is then empty."""
    text = " ".join(name.split())
    key = normalise_name(text)
    if not key and refuse:
        raise UnusableName(NAME_PROBLEM)
    return RecordName(text, key)
