"""Names of the CPV (Common Procurement Vocabulary, Regulation (EC) 213/2008) codes the registry's
markets meet most, so a market reads as "Medical information systems", not only "48814"."""

from __future__ import annotations

CPV_NAMES = {
    "30": "Office and computing machinery, equipment and supplies",
    "302": "Computer equipment and supplies",
    "32": "Radio, television, communication and telecommunication equipment",
    "48": "Software packages and information systems",
    "481": "Industry-specific software packages",
    "4818": "Medical software packages",
    "482": "Networking, internet and intranet software packages",
    "483": "Document creation, drawing, imaging, scheduling and productivity software packages",
    "484": "Transaction and personal business software packages",
    "485": "Communication and multimedia software packages",
    "486": "Database and operating software packages",
    "487": "Software package utilities",
    "488": "Information systems and servers",
    "4881": "Information systems",
    "48814": "Medical information systems",
    "488140": "Medical information systems",
    "4881400": "Medical information systems",
    "48814000": "Medical information systems",
    "4882": "Servers",
    "72": "IT services: consulting, software development, internet and support",
    "722": "Software programming and consultancy services",
    "723": "Data services",
    "724": "Internet services",
    "725": "Computer-related services",
    "726": "Computer support and consultancy services",
    "727": "Computer network services",
    "79": "Business services: law, marketing, consulting, recruitment, printing and security",
    "85": "Health and social work services",
}


def cpv_name(prefix: str) -> str | None:
    """The name of the longest known code the prefix starts with."""
    for length in range(len(prefix), 1, -1):
        name = CPV_NAMES.get(prefix[:length])
        if name:
            return name
    return None
