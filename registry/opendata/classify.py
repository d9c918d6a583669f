"""What a contract buys, when it has no CPV code: the classification whose contracts form a market.

Publishers classify in their own schemes: UNSPSC (Colombia, New South Wales), a national catalogue
(Paraguay's DNCP catalogue, Jalisco's FAM-GOB-JAL families), or only in words. A contract without
a CPV code takes the first usable classification of its tender, else of its tender's items, else of
its award's items, at the depth that makes a market:

- UNSPSC: its segment, the code's first two digits ("UNSPSC segment 43");
- any other scheme: the code as published;
- no code but a description: the description itself, under the scheme "".

CPV codes are not handled here: contracts keep them in `cpv_code`, and their markets are CPV
prefixes. A CPV entry whose code is not a CPV code gives its description, if any.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from registry.identifiers import is_cpv_code
from registry.opendata.strings import words

SCHEME_SIZE = 100  # registry.contracts.models.Classification's columns
CODE_SIZE = 100
LABEL_SIZE = 300
UNSPSC = "UNSPSC"
_UNSPSC_CODE = re.compile(r"([0-9]{2})[0-9]*")


@dataclasses.dataclass(frozen=True)
class Classified:
    """A row of `classifications`: the market a contract without a CPV code belongs to."""

    scheme: str
    code: str
    label: str

    @property
    def key(self) -> tuple[str, str]:
        return self.scheme, self.code


def classify(entry: Any) -> Classified | None:
    """The market one OCDS `classification` object names; None when it names none."""
    if not isinstance(entry, dict):
        return None
    named = words(entry.get("scheme"), LABEL_SIZE)
    scheme = named[:SCHEME_SIZE]
    code = words(entry.get("id"), CODE_SIZE)
    description = words(entry.get("description"), LABEL_SIZE)
    if scheme.upper() == "CPV" and not is_cpv_code(code):
        code = ""  # a malformed CPV code names no market; its words still may
    if scheme and code:
        if scheme.upper() == "CPV":
            return None  # the contract's cpv_code
        if scheme.upper() == UNSPSC:
            segment = _UNSPSC_CODE.fullmatch(code.replace(" ", ""))
            if segment:
                return Classified(UNSPSC, segment.group(1), f"UNSPSC segment {segment.group(1)}")
        else:
            # A description that only repeats the scheme's name (Paraguay's) says nothing more.
            said = description and not f"{description} ".casefold().startswith(
                f"{named} ".casefold()
            )
            label = f"{description} ({named} {code})" if said else f"{named} {code}"
            return Classified(scheme, code, label[:LABEL_SIZE])
    if description:
        return Classified("", description.lower()[:CODE_SIZE], description)
    return None


def classification(tender: dict[str, Any], award: dict[str, Any]) -> Classified | None:
    """The first usable classification of the tender, its items, then the award's items."""
    entries = [tender.get("classification")]
    entries += [item.get("classification") for item in _items(tender)]
    entries += [item.get("classification") for item in _items(award)]
    for entry in entries:
        found = classify(entry)
        if found is not None:
            return found
    return None


def _items(block: dict[str, Any]) -> list[dict[str, Any]]:
    items = block.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
