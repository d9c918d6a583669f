"""ISO 4217 currency codes in use (the active list; funds and precious metals left out)."""

from __future__ import annotations

from decimal import Decimal

from registry.problems import Problem

_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_CODES.split())


def is_currency_code(value: str) -> bool:
    return value in ISO_4217


def check_money(
    amount: Decimal | None,
    currency: str | None,
    *,
    fields: tuple[str, str] = ("value_amount", "currency"),
    noun: str = "value",
    example: str = "1200000.00",
) -> list[Problem]:
    """An amount (finite, 0 or more, below 10**16) needs a currency; a currency must be ISO 4217."""
    amount_field, currency_field = fields
    name = noun.capitalize()
    problems: list[Problem] = []
    if amount is not None:
        if not amount.is_finite():
            problems.append((amount_field, f"{name} must be a number, like {example}"))
        elif amount < 0:
            problems.append((amount_field, f"{name} must be 0 or more"))
        elif amount >= Decimal(10) ** 16:
            problems.append((amount_field, f"{name} must be less than 10,000 trillion"))
        if not currency:
            problems.append((currency_field, f"Enter the currency of the {noun}, like GBP"))
    if currency and not is_currency_code(currency):
        problems.append(
            (
                currency_field,
                f"Currency {currency!r} is not an ISO 4217 code: use 3 letters, like GBP",
            )
        )
    return problems
