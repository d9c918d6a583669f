"""Query handling every backend shares: tidying the input, and marking matched words safely."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from registry.search.interfaces import MAX_QUERY_LENGTH

WORD = re.compile(r"\w+", re.UNICODE)


def tidy_query(raw: str) -> tuple[str, str | None]:
    """The query to run, and a notice when it had to be changed."""
    query = " ".join(raw.replace("\x00", " ").split())  # PostgreSQL refuses NUL in text
    if len(query) > MAX_QUERY_LENGTH:
        cut = query[:MAX_QUERY_LENGTH].rsplit(" ", 1)[0] or query[:MAX_QUERY_LENGTH]
        return (
            cut,
            f"Your search was longer than {MAX_QUERY_LENGTH} characters, so we searched for the start of it.",
        )
    return query, None


def plain_words(query: str) -> list[str]:
    """The words of a query with every operator and quote removed: the forgiving fallback."""
    return [w for w in WORD.findall(query) if w.upper() not in {"AND", "OR", "NOT"}][:32]


def highlight(text: str, query: str, limit: int = 240) -> Markup:
    """`text` escaped, shortened around the first match, with words starting like a query word
    wrapped in <mark>."""
    words = sorted({w.lower() for w in plain_words(query) if len(w) > 1}, key=len, reverse=True)
    if not text:
        return Markup("")
    if not words:
        return escape(_shorten(text, 0, limit))
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - limit // 3) if first and len(text) > limit else 0
    snippet = _shorten(text, start, limit)
    out = Markup("")
    position = 0
    for match in pattern.finditer(snippet):
        out += escape(snippet[position : match.start()])
        out += Markup('<mark class="app-search-match">{}</mark>').format(match.group(0))
        position = match.end()
    return out + escape(snippet[position:])


def _shorten(text: str, start: int, limit: int) -> str:
    snippet = text[start : start + limit]
    return ("…" if start else "") + snippet + ("…" if start + limit < len(text) else "")
