"""The address a sign-in returns to (`next=`), holding what a Location header cannot: a 303 to
the same page, percent-encoded, never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import webtest

from tests.conftest import TEST_PASSWORD


def sign_in(app: webtest.TestApp, user: Any, next_url: str) -> webtest.TestResponse:
    form = app.get("/login?next=" + quote(next_url, safe="")).forms[0]
    form["email"], form["password"] = user.email, TEST_PASSWORD
    return form.submit(status="*")


def test_a_next_address_past_latin_1_is_percent_encoded(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    response = sign_in(webtest_app, make_user("auditor"), "/contracts?q=Ωmega € 中")
    assert response.status_int == 303
    assert response.location == ("http://localhost/contracts?q=%CE%A9mega%20%E2%82%AC%20%E4%B8%AD")
    assert webtest_app.get(response.location).status_int == 200


def test_a_next_address_that_is_not_utf8_stays_on_the_site(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    user = make_user("auditor")
    webtest_app.get("/login")
    token = webtest_app.get("/login").html.find("input", attrs={"name": "csrf_token"})["value"]
    body = (
        "csrf_token="
        + token
        + "&email="
        + quote(user.email)
        + "&password="
        + quote(TEST_PASSWORD)
        + "&next=%2Fcontracts%ED%A0%80"
    )
    response = webtest_app.post(
        "/login",
        body.encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        status="*",
    )
    # webob reads the bytes that are not UTF-8 as U+FFFD, which is encoded like any other.
    assert response.status_int == 303, response.status
    assert response.location == "http://localhost/contracts" + "%EF%BF%BD" * 3
