"""What the index holds: published frameworks, lots, suppliers, obligations and contracts, read
from the database in set-based chunks (one query per kind per chunk, never one per row)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.flags.services import open_flag_links
from registry.frameworks.models import Framework, Lot, Membership, Obligation
from registry.records import Publication
from registry.scoring.scores.models import Score
from registry.search.interfaces import KINDS, Document
from registry.search.offers import on_lots, what_they_sell
from registry.sql import in_chunks
from registry.suppliers.models import Supplier, SupplierGroup

CHUNK = 2000
BATCH = 500  # ids per IN list when reading changed records
NOT_SCORED = "not yet scored"
# A record's facet values: {facet name: values}, as its Document holds them.
FacetValues = dict[str, list[str]]


# The score-band facet's bands: (lowest score, band), highest first; below the last, BELOW.
SCORE_BANDS = ((85, "85 to 100"), (70, "70 to 84"), (50, "50 to 69"))
BELOW = "below 50"


def score_band(score: Any) -> str:
    """The band a 0-100 score falls in, as the score-band facet shows it."""
    value = float(score)
    return next((band for lowest, band in SCORE_BANDS if value >= lowest), BELOW)


def score_band_sql(score: Any) -> Any:
    """score_band in SQL, from the same bands: NOT_SCORED for no score."""
    return sa.case(
        (score.is_(None), NOT_SCORED),
        *((score >= lowest, band) for lowest, band in SCORE_BANDS),
        else_=BELOW,
    )


def _text(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p)


def _known_as(name: str, aliases: str | None) -> str:
    """A buyer's name and the others it goes by: "HM Revenue and Customs (HMRC)"."""
    others = ", ".join(line.strip() for line in (aliases or "").splitlines() if line.strip())
    return f"{name} ({others})" if others else name


def _framework_docs(db: Session, where: Any) -> list[Document]:
    rows = db.execute(
        sa.select(Framework).where(where, Framework.retracted_at.is_(None)).order_by(Framework.id)
    ).scalars()
    return [
        Document(
            kind="framework",
            record_id=f.id,
            title=f"{f.reference}: {f.title}",
            body=_text(f.owner_body, f.description, " ".join(f.cpv_codes or [])),
            identifiers=f.reference,
            frameworks=[f.reference],
            link=f.reference,
        )
        for f in rows
    ]


def _lot_docs(db: Session, where: Any) -> list[Document]:
    rows = db.execute(
        sa.select(Lot.id, Lot.number, Lot.title, Lot.description, Framework.reference)
        .join(Framework, Lot.framework_id == Framework.id)
        .where(where, Lot.retracted_at.is_(None), Framework.retracted_at.is_(None))
        .order_by(Lot.id)
    )
    return [
        Document(
            kind="lot",
            record_id=r.id,
            title=f"{r.reference} lot {r.number}: {r.title}",
            body=r.description or "",
            identifiers=r.reference,
            frameworks=[r.reference],
            link=r.reference,
        )
        for r in rows
    ]


def _supplier_docs(
    db: Session, where: Any, *, sells: bool = True, facets: dict[str, FacetValues] | None = None
) -> list[Document]:
    """`facets`: the suppliers' facet values already read (facet_values_for), not read again."""
    rows = list(
        db.execute(
            sa.select(
                Supplier,
                SupplierGroup.name.label("group_name"),
                SupplierGroup.companies_house_number.label("group_number"),
            )
            .join(SupplierGroup, Supplier.group_id == SupplierGroup.id)
            .where(where, Supplier.merged_into_id.is_(None))
            .order_by(Supplier.id)
        )
    )
    if facets is None:
        frameworks, bands, flagged = _supplier_facets(
            db, [(r.Supplier.id, r.Supplier.group_id) for r in rows]
        )
    else:
        frameworks, bands, flagged = _known_facets(
            facets, [(r.Supplier.id, r.Supplier.group_id) for r in rows]
        )
    sold = what_they_sell(db, [r.Supplier.id for r in rows]) if sells else {}
    docs = []
    for row in rows:
        s = row.Supplier
        aliases = " ".join(s.aliases or [])
        docs.append(
            Document(
                kind="supplier",
                record_id=s.id,
                title=s.name,
                body=_text(aliases, row.group_name if row.group_name != s.name else ""),
                identifiers=_text(s.companies_house_number, s.duns, s.party_id, row.group_number),
                names=_text(s.name, aliases),
                sells=sold.get(s.id, ""),
                frameworks=sorted(frameworks[s.id]),
                score_band=bands.get(s.id, NOT_SCORED),
                open_flags="yes" if s.group_id in flagged else "no",
                link=str(s.id),
            )
        )
    return docs


def _supplier_facets(
    db: Session, suppliers: list[tuple[int, int]]
) -> tuple[dict[int, set[str]], dict[int, str], set[int]]:
    """For these (supplier id, group id) pairs: each supplier's framework references, the band
    of its current overall score, and the groups with an open lock-in flag."""
    frameworks: dict[int, set[str]] = defaultdict(set)
    bands: dict[int, str] = {}
    if not suppliers:
        return frameworks, bands, set()
    ids = among(db, [supplier_id for supplier_id, _ in suppliers])
    for supplier_id, score in db.execute(
        sa.select(Score.supplier_id, Score.score).where(
            Score.supplier_id.in_(ids), Score.current.is_(True), Score.framework_id.is_(None)
        )
    ):
        bands[supplier_id] = score_band(score)
    groups = among(db, sorted({group_id for _, group_id in suppliers}))
    flagged = {group_id for group_id, _ in db.execute(open_flag_links(groups))}
    for supplier_id, reference in db.execute(on_lots(ids)):
        frameworks[supplier_id].add(reference)
    return frameworks, bands, flagged


def _known_facets(
    facets: dict[str, FacetValues], suppliers: list[tuple[int, int]]
) -> tuple[dict[int, set[str]], dict[int, str], set[int]]:
    """_supplier_facets' answer, from facet values already read."""
    frameworks: dict[int, set[str]] = defaultdict(set)
    bands: dict[int, str] = {}
    flagged: set[int] = set()
    for supplier_id, group_id in suppliers:
        values = facets.get(f"supplier:{supplier_id}", {})
        frameworks[supplier_id].update(values.get("frameworks", ()))
        bands[supplier_id] = values.get("score_band", [NOT_SCORED])[0]
        if values.get("open_flags") == ["yes"]:
            flagged.add(group_id)
    return frameworks, bands, flagged


def _obligation_docs(db: Session, where: Any) -> list[Document]:
    rows = db.execute(
        sa.select(Obligation, Framework.reference)
        .join(Framework, Obligation.framework_id == Framework.id)
        .where(where, Obligation.retracted_at.is_(None), Framework.retracted_at.is_(None))
        .order_by(Obligation.id)
    )
    return [
        Document(
            kind="obligation",
            record_id=r.Obligation.id,
            title=r.Obligation.title,
            body=_text(r.Obligation.description, r.Obligation.category.value),
            identifiers=_text(r.Obligation.standard_reference, r.reference),
            frameworks=[r.reference],
            category=r.Obligation.category.value,
            link=r.reference,
        )
        for r in rows
    ]


def _contract_docs(db: Session, where: Any) -> list[Document]:
    rows = db.execute(
        sa.select(
            Contract.id,
            Contract.title,
            Contract.description,
            Contract.reference,
            Contract.ocid,
            Buyer.name.label("buyer"),
            Buyer.also_known_as.label("buyer_aliases"),
            Supplier.name.label("supplier"),
            Framework.reference.label("framework"),
        )
        .join(Buyer, Contract.buyer_id == Buyer.id)
        .join(Supplier, Contract.supplier_id == Supplier.id)
        .outerjoin(Lot, Contract.lot_id == Lot.id)
        .outerjoin(Framework, Lot.framework_id == Framework.id)
        .where(
            where,
            Contract.publication == Publication.published,
            Contract.retracted_at.is_(None),
        )
        .order_by(Contract.id)
    )
    return [
        Document(
            kind="contract",
            record_id=r.id,
            title=r.title,
            body=_text(
                r.description,
                f"Buyer: {_known_as(r.buyer, r.buyer_aliases)}.",
                f"Supplier: {r.supplier}.",
            ),
            identifiers=_text(r.reference, r.ocid),
            # Contract titles name the products ("SystmOne principal clinical system"): "did you
            # mean" then knows product names that no supplier record spells out.
            names=_text(r.supplier, r.title),
            frameworks=[r.framework] if r.framework else [],
            link=str(r.id),
        )
        for r in rows
    ]


BUILDERS: dict[str, tuple[Any, Callable[[Session, Any], list[Document]]]] = {
    "framework": (Framework, _framework_docs),
    "lot": (Lot, _lot_docs),
    "supplier": (Supplier, _supplier_docs),
    "obligation": (Obligation, _obligation_docs),
    "contract": (Contract, _contract_docs),
}


def all_documents(db: Session, chunk: int = CHUNK, *, expunge: bool = True) -> Iterator[Document]:
    """Every published record, streamed kind by kind in id order (keyset chunks)."""
    for kind in KINDS:
        model, build = BUILDERS[kind]
        last = 0
        while True:
            ids = list(
                db.execute(
                    sa.select(model.id).where(model.id > last).order_by(model.id).limit(chunk)
                ).scalars()
            )
            if not ids:
                break
            yield from build(db, model.id.between(ids[0], ids[-1]))
            last = ids[-1]
            if expunge:
                db.expunge_all()  # keep memory flat over national-scale data


def expand(db: Session, changes: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    """Changed rows → the documents they appear in (a group's name and products are in its
    suppliers' documents, a buyer's name in its contracts', a membership in its supplier's
    framework facet; a framework's or lot's title and a contract's title in what its suppliers
    sell)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    groups: set[int] = set()
    buyers: set[int] = set()
    frameworks: set[int] = set()
    lots: set[int] = set()
    contracts: set[int] = set()
    for kind, record_id in changes:
        if kind == "group":
            groups.add(record_id)
        elif kind == "buyer":
            buyers.add(record_id)
        else:
            wanted[kind].add(record_id)
            if kind == "framework":
                frameworks.add(record_id)
            elif kind == "lot":
                lots.add(record_id)
            elif kind == "contract":
                contracts.add(record_id)
    on_lots = sa.select(Membership.supplier_id).join(Lot, Membership.lot_id == Lot.id)
    for ids, query, kind in (
        (groups, lambda c: sa.select(Supplier.id).where(Supplier.group_id.in_(c)), "supplier"),
        (frameworks, lambda c: on_lots.where(Lot.framework_id.in_(c)), "supplier"),
        (lots, lambda c: on_lots.where(Lot.id.in_(c)), "supplier"),
        (
            contracts,
            lambda c: sa.select(Contract.supplier_id).where(Contract.id.in_(c)),
            "supplier",
        ),
        (buyers, lambda c: sa.select(Contract.id).where(Contract.buyer_id.in_(c)), "contract"),
        (frameworks, lambda c: sa.select(Lot.id).where(Lot.framework_id.in_(c)), "lot"),
        (
            frameworks,
            lambda c: sa.select(Obligation.id).where(Obligation.framework_id.in_(c)),
            "obligation",
        ),
    ):
        for part in in_chunks(sorted(ids), BATCH):
            wanted[kind].update(db.execute(query(part)).scalars())
    return wanted


def documents_for(
    db: Session,
    wanted: dict[str, set[int]],
    *,
    shown: bool = False,
    facets: dict[str, FacetValues] | None = None,
) -> tuple[list[Document], list[str]]:
    """The current documents of these records, and the keys of those no longer public.
    `shown`: for a page of results, so without what suppliers sell (searched, never shown:
    three more queries); `facets`: the suppliers' facet values, if already read (three more)."""
    docs: list[Document] = []
    removed: list[str] = []
    for kind, ids in wanted.items():
        model, build = BUILDERS[kind]
        if shown and kind == "supplier":
            build = functools.partial(_supplier_docs, sells=False, facets=facets)
        for part in in_chunks(sorted(ids), BATCH):
            found = build(db, model.id.in_(part))
            docs.extend(found)
            present = {d.record_id for d in found}
            removed.extend(f"{kind}:{i}" for i in part if i not in present)
    return docs, removed


def _facet_row(kind: str, record_id: Any, reference: Any, **more: Any) -> sa.Select[Any]:
    """(kind, id, framework reference, category, score, flagged): one row shape for every kind,
    so that one UNION ALL reads the facet values of every kind at once."""
    return sa.select(
        sa.literal(kind, sa.String).label("kind"),
        record_id.label("id"),
        sa.cast(reference, sa.String).label("reference"),
        more.get("category", sa.cast(sa.null(), sa.String)).label("category"),
        more.get("score", sa.cast(sa.null(), Score.score.type)).label("score"),
        more.get("flagged", sa.cast(sa.null(), sa.Boolean)).label("flagged"),
    )


def _supplier_facet_rows(ids: Any) -> sa.Select[Any]:
    """A public supplier's own row (its current overall score, whether its group has an open
    lock-in flag), then a row per framework reference of its lots (on_lots)."""
    score = (
        sa.select(Score.score)
        .where(Score.supplier_id == Supplier.id, Score.current.is_(True))
        .where(Score.framework_id.is_(None))
        .limit(1)
        .scalar_subquery()
    )
    flagged = open_flag_links(sa.select(Supplier.group_id).where(Supplier.id.in_(ids))).subquery()
    own = _facet_row(
        "supplier",
        Supplier.id,
        sa.null(),
        score=score,
        flagged=Supplier.group_id.in_(sa.select(flagged.c[0])),
    ).where(Supplier.id.in_(ids), Supplier.merged_into_id.is_(None))
    lots = on_lots(
        sa.select(Supplier.id).where(Supplier.id.in_(ids), Supplier.merged_into_id.is_(None))
    ).subquery()
    return (
        sa.union_all(own, _facet_row("supplier", lots.c.supplier_id, lots.c.reference))
        .subquery()
        .select()
    )


# Each kind's facet rows for the public records among `ids` (a select of ids): what the
# PostgreSQL backend counts and filters its matches by (registry.search.postgres_results).
facet_rows: dict[str, Callable[[Any], sa.Select[Any]]] = {
    "framework": lambda ids: _facet_row("framework", Framework.id, Framework.reference).where(
        Framework.id.in_(ids), Framework.retracted_at.is_(None)
    ),
    "lot": lambda ids: (
        _facet_row("lot", Lot.id, Framework.reference)
        .join(Framework, Lot.framework_id == Framework.id)
        .where(Lot.id.in_(ids), Lot.retracted_at.is_(None), Framework.retracted_at.is_(None))
    ),
    "obligation": lambda ids: (
        _facet_row(
            "obligation",
            Obligation.id,
            Framework.reference,
            category=sa.cast(Obligation.category, sa.String),
        )
        .join(Framework, Obligation.framework_id == Framework.id)
        .where(
            Obligation.id.in_(ids),
            Obligation.retracted_at.is_(None),
            Framework.retracted_at.is_(None),
        )
    ),
    "contract": lambda ids: (
        _facet_row("contract", Contract.id, Framework.reference)
        .select_from(Contract)
        .outerjoin(Lot, Contract.lot_id == Lot.id)
        .outerjoin(Framework, Lot.framework_id == Framework.id)
        .where(
            Contract.id.in_(ids),
            Contract.publication == Publication.published,
            Contract.retracted_at.is_(None),
        )
    ),
    "supplier": _supplier_facet_rows,
}


def among(db: Session, ids: list[int]) -> list[int] | sa.Select[Any]:
    """These ids, for `column.in_()`: on PostgreSQL one array parameter, unnested, so that the
    statement's text is the same whatever the ids. An IN list of a thousand parameters cost more
    to expand and convert on the client, statement after statement, than the server took to
    answer it."""
    if db.get_bind().dialect.name != "postgresql":
        return ids
    return sa.select(sa.func.unnest(sa.literal(ids, ARRAY(sa.Integer))))
