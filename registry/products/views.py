"""Product pages (public list and profile; admins' forms) and the public /exposure page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.clock import today
from registry.contracts.models import Contract
from registry.flags.detectors import DETECTORS
from registry.flags.models import Flag
from registry.forms import Form
from registry.frameworks.models import Framework, Obligation
from registry.integers import record_id
from registry.pagination import page_number, paginate
from registry.products.exposure import find_exposures, support_end
from registry.products.forms import ContractLinkForm, ObligationLinkForm, ProductForm
from registry.products.models import ContractProduct, Product, ProductObligation, SupportCover
from registry.products.services import (
    ProductError,
    ProductInput,
    create_product,
    link_contract,
    link_obligation,
    update_product,
)
from registry.suppliers.queries import PUBLISHED
from registry.views import FormView, form_views, post_form

DETECTOR = DETECTORS["end_of_support"]


def _grace_days(request: Request) -> int:
    return int(request.registry["registry.detection"].thresholds[DETECTOR.id]["grace_days"])


def exposure_flags(request: Request) -> dict[str, Flag]:
    return {
        f.subject_key: f
        for f in request.db.execute(sa.select(Flag).where(Flag.detector == DETECTOR.id)).scalars()
    }


@view_config(
    route_name="exposure",
    renderer="products/exposure.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def exposure(request: Request) -> dict[str, Any]:
    grace = _grace_days(request)
    return {
        "exposures": find_exposures(request.db, today(), grace),
        "flags": exposure_flags(request),
        "rule": DETECTOR.describe({"grace_days": grace}),
        "detector": DETECTOR,
        "as_of": today(),
    }


@view_config(
    route_name="products.list",
    renderer="products/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def product_list(request: Request) -> dict[str, Any]:
    end = support_end()
    query = sa.select(Product).where(Product.retracted_at.is_(None))
    query = query.order_by(sa.case((end.is_(None), 1), else_=0), end, Product.name, Product.id)
    return {
        "page": paginate(request.db, query, page_number(request)),
        "today": today(),
        "can_write": request.has_permission(Permissions.AdminFrameworksWrite),
    }


def _get_product(request: Request) -> Product:
    product = request.db.get(Product, record_id(request))
    if product is None or product.retracted_at is not None:
        raise HTTPNotFound("There is no product with that number.")
    return product


def _detail(
    request: Request,
    product: Product,
    contract_form: ContractLinkForm | None = None,
    obligation_form: ObligationLinkForm | None = None,
) -> dict[str, Any]:
    db = request.db
    contracts = db.execute(
        sa.select(Contract, ContractProduct)
        .join(ContractProduct, ContractProduct.contract_id == Contract.id)
        .where(ContractProduct.product_id == product.id, PUBLISHED)
        .order_by(Contract.start_date.desc(), Contract.id)
        .limit(200)
    ).all()
    obligations = db.execute(
        sa.select(Obligation, ProductObligation, Framework.reference)
        .join(ProductObligation, ProductObligation.obligation_id == Obligation.id)
        .join(Framework, Framework.id == Obligation.framework_id)
        .where(ProductObligation.product_id == product.id)
        .order_by(Framework.reference, Obligation.id)
    ).all()
    can_write = bool(request.has_permission(Permissions.AdminFrameworksWrite))
    return {
        "product": product,
        "contracts": contracts,
        "obligations": obligations,
        "today": today(),
        "can_write": can_write,
        "contract_form": contract_form or (ContractLinkForm() if can_write else None),
        "obligation_form": obligation_form or (ObligationLinkForm() if can_write else None),
    }


@view_config(
    route_name="products.detail",
    renderer="products/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def product_detail(request: Request) -> dict[str, Any]:
    return _detail(request, _get_product(request))


def _link(
    request: Request, form: Form, form_name: str, link: Callable[[Product], Any], message: str
) -> Any:
    """A link form posted from the product page: the service links it, or the page is shown
    again with the form's problems and status 400 (nothing written)."""
    product = _get_product(request)

    def save() -> HTTPSeeOther:
        link(product)
        request.session.flash(message, queue="success")
        return HTTPSeeOther(request.route_path("products.detail", id=product.id))

    def refuse() -> dict[str, Any]:
        request.response.status = 400
        return _detail(request, product, **{form_name: form})

    return post_form(form, save, refuse, error_class=ProductError)


@view_config(
    route_name="products.contracts",
    renderer="products/detail.html",
    permission=Permissions.AdminFrameworksWrite,
    request_method="POST",
)
def product_link_contract(request: Request) -> Any:
    form = ContractLinkForm(request.POST)
    return _link(
        request,
        form,
        "contract_form",
        lambda product: link_contract(
            request.db,
            product,
            form.contract.data or "",
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            unit=form.unit.data,
            actor=request.identity,
        ),
        f"Contract {form.contract.data} linked.",
    )


@view_config(
    route_name="products.obligations",
    renderer="products/detail.html",
    permission=Permissions.AdminFrameworksWrite,
    request_method="POST",
)
def product_link_obligation(request: Request) -> Any:
    form = ObligationLinkForm(request.POST)
    return _link(
        request,
        form,
        "obligation_form",
        lambda product: link_obligation(
            request.db,
            product,
            int(form.obligation.data or 0),
            SupportCover(form.cover.data),
            actor=request.identity,
        ),
        "Obligation linked.",
    )


class ProductView(FormView):
    form_class = ProductForm
    error_class = ProductError
    product: Product | None = None

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, "product": self.product}

    def to_product(self, product: Product, message: str) -> HTTPSeeOther:
        return self.done(message, self.request.route_path("products.detail", id=product.id))


@form_views("products.new", "products/form.html", Permissions.AdminFrameworksWrite)
class NewProductViews(ProductView):
    def save(self, form: ProductForm) -> HTTPSeeOther:
        product = create_product(self.request.db, form.to_input(), actor=self.request.identity)
        return self.to_product(product, f"{product.label} added.")


@form_views("products.edit", "products/form.html", Permissions.AdminFrameworksWrite)
class EditProductViews(ProductView):
    product: Product

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.product = _get_product(request)

    def show(self) -> dict[str, Any]:
        return self.page(
            ProductForm(data=dataclasses.asdict(ProductInput.from_product(self.product)))
        )

    def save(self, form: ProductForm) -> HTTPSeeOther:
        update_product(self.request.db, self.product, form.to_input(), actor=self.request.identity)
        return self.to_product(self.product, "Product updated.")
