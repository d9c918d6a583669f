"""Identifiers and names: how suppliers and buyers are recognised across sources."""

from __future__ import annotations

import re
import unicodedata

# Companies House numbers: eight digits (England and Wales), or a two-letter prefix and six
# digits (SC Scotland, NI Northern Ireland, OC LLPs, and the other registers).
_CH_PREFIXES = "AC|CE|CS|FC|FE|GE|GN|GS|IC|IP|LP|NA|NF|NI|NL|NO|NP|NR|NZ|OC|R0|RC|SA|SC|SE|SF|SG|SI|SL|SO|SP|SR|SZ|ZC"
COMPANIES_HOUSE_RE = re.compile(rf"([0-9]{{8}}|(?:{_CH_PREFIXES})[0-9]{{6}})")
DUNS_RE = re.compile(r"[0-9]{9}")
# NHS Organisation Data Service codes: 3 to 6 letters and digits (GP practices: a letter and 5 digits).
ODS_RE = re.compile(r"[A-Z0-9]{3,6}")
CPV_RE = re.compile(r"[0-9]{8}(-[0-9])?")

# Legal-form words dropped when matching names: "EMIS Health Ltd" and "EMIS HEALTH LIMITED" match.
_LEGAL_FORMS = re.compile(
    r"\b(limited|ltd|plc|llp|lp|inc|incorporated|corporation|corp|company|co|the|uk|gb|group)\b"
)


def normalise_companies_house_number(value: str) -> str | None:
    """Upper-case, spaces removed, short numeric forms zero-padded; None when not a valid number."""
    text = re.sub(r"\s+", "", value).upper()
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
    """Lower-case ASCII words without punctuation or legal-form words, for matching only."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = _LEGAL_FORMS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()[:300]
