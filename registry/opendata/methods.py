"""How a publisher's procurement method becomes the registry's, published on /methodology.

The OCDS code (`tender.procurementMethod`: open, selective, limited, direct) comes first. When
it is missing, or is not one of the codes (Moldova writes words there), the publisher's words
(`procurementMethodDetails`, and the method's own words) are matched against WORDS, one row at a
time in order: the first row with a phrase found in them gives the method. A row may give no
method: the words are known, but do not say how the contract was awarded. Words no row matches
give no method either. Both are counted as unknown, never guessed.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from typing import Any

from registry.contracts.models import ProcurementMethod
from registry.opendata.strings import words

VERSION = "1.0"
DETAILS_SIZE = 300  # Contract.procurement_method_details

# The OCDS method codelist.
CODES = {
    "open": ProcurementMethod.open,
    "selective": ProcurementMethod.selective,
    "limited": ProcurementMethod.limited,
    "direct": ProcurementMethod.direct_award,
}


@dataclasses.dataclass(frozen=True)
class WordsRule:
    phrases: tuple[str, ...]  # matched as whole words, in any case, accents ignored
    method: ProcurementMethod | None
    note: str


WORDS: tuple[WordsRule, ...] = (
    WordsRule(
        ("further competition", "mini-competition"),
        ProcurementMethod.further_competition,
        "A call-off competed again among a framework's suppliers. Also when the code is "
        "selective: OCDS has no code of its own for it.",
    ),
    WordsRule(
        ("direct award from a framework", "direct award under a framework", "direct call-off"),
        ProcurementMethod.direct_award,
        "A call-off from a framework agreement given to one supplier without further competition.",
    ),
    WordsRule(
        ("call-off from a dynamic purchasing system",),
        ProcurementMethod.selective,
        "Every contract under a dynamic purchasing system is competed among the suppliers "
        "admitted to it (Public Contracts Regulations 2015, regulation 34).",
    ),
    WordsRule(
        ("call-off", "framework agreement", "framework contract"),
        None,
        "A call-off or a framework agreement: the words do not say whether it was competed "
        "(further competition) or given directly.",
    ),
    WordsRule(
        (
            "without prior publication",
            "without publication",
            "without prior publication of a contract notice",
            "without a call for competition",
            "without prior call for competition",
            "with no preliminary announcement",
            "without preliminary announcement",
            "with no prior publication",
            "NPNA",
            "procedimiento negociado sin publicidad",
        ),
        ProcurementMethod.limited,
        "Negotiated with suppliers the buyer chose, with no call for competition published "
        "first (Armenia's NPNA, the EU's negotiated procedure without prior publication).",
    ),
    WordsRule(
        (
            "single source",
            "sole source",
            "single supplier",
            "single tender",
            "without competition",
            "direct award",
            "direct contracting",
            "direct procurement",
            "direct purchase",
            "adjudicación directa",
            "contratación directa",
            "compra directa",
            "achiziție directă",
        ),
        ProcurementMethod.direct_award,
        "Given to one supplier with no competition (the UK's single tender action, Uganda's "
        "award to a single supplier without competition).",
    ),
    WordsRule(
        (
            "restricted procedure",
            "restricted tender",
            "selective tender",
            "competitive procedure with negotiation",
            "competitive dialogue",
            "innovation partnership",
            "negotiated procedure with prior publication",
            "negotiated procedure with publication",
            "negotiated procedure with preliminary announcement",
            "negotiated procedure with a call for competition",
            "NPA",
        ),
        ProcurementMethod.selective,
        "Suppliers chosen among those who answered a published call for competition.",
    ),
    WordsRule(
        (
            "open procedure",
            "open tender",
            "open competition",
            "open competitive",
            "procedimiento abierto",
            "licitación pública",
            "licitaţie publică",
            "licitação pública",
            "concurso público",
            "appel d'offres ouvert",
            "public tender",
            "national competitive bidding",
            "international competitive bidding",
        ),
        ProcurementMethod.open,
        "Any supplier may bid.",
    ),
    WordsRule(
        (
            "request for quotation",
            "request for quotations",
            "competitive quotation",
            "cerere a ofertelor de preţuri",
            "request for price quotations",
            "RFQ",
        ),
        None,
        "Quotations asked for: whether anyone could answer or only suppliers the buyer chose "
        "is not in the words, and differs from country to country.",
    ),
    WordsRule(
        ("negotiated procedure", "simplified procedure"),
        None,
        "The words do not say whether a call for competition was published first.",
    ),
    WordsRule(
        ("non-procurement",),
        None,
        "Not a procurement (Armenia's non-procurement contracts).",
    ),
    WordsRule(
        ("not specified", "not applicable", "not stated", "other"),
        None,
        'The publisher does not say, or says only "other".',
    ),
)


def _plain(value: str) -> str:
    """Lower case, accents and punctuation dropped: the form words and phrases are matched in."""
    value = unicodedata.normalize("NFKD", value.casefold())
    value = "".join(c for c in value if not unicodedata.combining(c))
    return " " + " ".join(re.sub(r"[^\w]+", " ", value).split()) + " "


_RULES = tuple((tuple(_plain(p) for p in rule.phrases), rule) for rule in WORDS)


def method_for_words(said: str) -> WordsRule | None:
    """The first row of WORDS with a phrase in the publisher's words; None when none has."""
    plain = _plain(said)
    for phrases, rule in _RULES:
        if any(phrase in plain for phrase in phrases):
            return rule
    return None


def procurement_method(tender: dict[str, Any]) -> tuple[ProcurementMethod | None, str | None]:
    """The registry's method for a tender, and the publisher's own words for it (as published)."""
    code, details = tender.get("procurementMethod"), tender.get("procurementMethodDetails")
    if (code is None or type(code) is str) and (details is None or type(details) is str):
        return _method(code, details)
    return _method.__wrapped__(code, details)


# The same few values come release after release: each pair is worked out once.
@functools.lru_cache(maxsize=1 << 12)
def _method(code: Any, details: Any) -> tuple[ProcurementMethod | None, str | None]:
    code_words = words(code, DETAILS_SIZE)
    coded = CODES.get(code_words.lower())
    said = [words(details, DETAILS_SIZE)]
    if coded is None:
        said.insert(0, code_words)  # words where the code belongs are the publisher's words
    published = "; ".join(w for w in said if w)[:DETAILS_SIZE] or None
    rule = method_for_words(published) if published else None
    if coded is None:
        return (rule.method if rule else None), published
    # The one refinement of a code: a selective call-off whose words say it was competed again.
    refined = rule is not None and rule.method is ProcurementMethod.further_competition
    if refined and coded is ProcurementMethod.selective:
        return ProcurementMethod.further_competition, published
    return coded, published
