"""Teachers' single sign-on (issue 19) against a fake OpenID Connect provider over real HTTP
(tests/support/oidc_provider.py: its own key; it checks the client secret, the redirect URI
and the PKCE verifier, and puts only ``sub`` in the id_token)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.lti_platform import FakePlatform, instructor
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOidcProvider


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider() as provider:
        yield provider


@pytest.fixture
def sso_client(make_client, idp):
    idp.user = {
        "sub": "u-1",
        "email": "ada@uni.example",
        "email_verified": True,
        "name": "Ada Lovelace",
    }
    return make_client(
        trainers=0,
        oidc_discovery_url=idp.discovery_url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_allowed_domains="uni.example",
        oidc_allowed_emails="guest@else.example",
    )


def sign_in(client, idp: FakeOidcProvider, next: str = "/teach"):
    """The browser's round trip: the tool → the provider → the tool's callback."""
    start = client.get("/login/sso", params={"next": next}, follow_redirects=False)
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert location.startswith(idp.url + "/authorize?")
    q = parse_qs(urlsplit(location).query)
    assert q["code_challenge_method"] == ["S256"] and q["nonce"] and q["state"]
    assert "code_verifier" not in q
    back = httpx.get(location, follow_redirects=False, timeout=30)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    return client.get(callback.path + "?" + callback.query, follow_redirects=False)


def test_a_teacher_signs_in_through_the_provider_and_is_the_same_teacher_next_time(sso_client, idp):
    r = sign_in(sso_client, idp, next="/teach")
    assert r.status_code == 303 and r.headers["location"] == "/teach", r.text
    me = sso_client.get("/api/auth/me").json()["teacher"]
    assert me["name"] == "Ada Lovelace"  # from userinfo: the id_token holds only sub
    sso_client.post("/api/auth/logout")
    assert sso_client.get("/api/auth/me").status_code == 401
    assert sign_in(sso_client, idp).status_code == 303
    assert sso_client.get("/api/auth/me").json()["teacher"]["id"] == me["id"]
    # no password works for an account made by sign-on
    r = sso_client.post("/api/auth/login", json={"name": "Ada Lovelace", "password": "x" * 12})
    assert r.status_code == 401


def test_the_login_page_offers_sign_on_only_when_it_is_configured(sso_client, make_client):
    assert 'id="login-sso"' in sso_client.get("/login").text
    plain = make_client(trainers=0)
    assert 'id="login-sso"' not in plain.get("/login").text
    assert plain.get("/login/sso", follow_redirects=False).status_code == 404


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ({"email": "bob@uni.example", "email_verified": True}, True),
        ({"email": "guest@else.example", "email_verified": True}, True),
        ({"email": "eve@evil.example", "email_verified": True}, False),
        ({"email": "mallory@uni.example", "email_verified": False}, False),
        ({"email": None, "email_verified": True}, False),
    ],
)
def test_only_verified_addresses_of_allowed_domains_or_the_list_may_teach(
    sso_client, idp, user, allowed
):
    idp.user = {"sub": "u-" + str(user["email"]), "name": "Someone", **user}
    r = sign_in(sso_client, idp)
    if allowed:
        assert r.status_code == 303, r.text
    else:
        assert r.status_code == 403 and '"lti-field">email<' in r.text
        assert sso_client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("misbehave", "field"),
    [
        ({"aud": "another-client"}, "aud"),
        ({"iss": "https://elsewhere.example"}, "iss"),
        ({"nonce": "not-the-login's"}, "nonce"),
        ({"exp": 1000, "iat": 900}, "exp"),
    ],
)
def test_an_id_token_wrong_in_any_claim_logs_nobody_in(sso_client, idp, misbehave, field):
    idp.misbehave = misbehave
    r = sign_in(sso_client, idp)
    assert r.status_code == 401 and f'"lti-field">{field}<' in r.text
    assert sso_client.get("/api/auth/me").status_code == 401


def test_a_callback_not_started_by_this_browser_is_refused(sso_client, idp):
    start = sso_client.get("/login/sso", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False, timeout=30)
    callback = urlsplit(back.headers["location"])
    other = sso_client.__class__(sso_client.app)  # another browser: no sign-in cookie
    r = other.get(callback.path + "?" + callback.query, follow_redirects=False)
    assert r.status_code == 400 and '"lti-field">state<' in r.text
    q = parse_qs(callback.query)
    forged = sso_client.get("/login/sso/callback", params={"code": q["code"][0], "state": "guess"})
    assert forged.status_code == 400 and '"lti-field">state<' in forged.text


def test_the_provider_gets_the_pkce_verifier_and_refuses_a_code_twice(sso_client, idp):
    start = sso_client.get("/login/sso", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False, timeout=30)
    callback = urlsplit(back.headers["location"])
    path = callback.path + "?" + callback.query
    refusals = len(idp.refusals)
    assert sso_client.get(path, follow_redirects=False).status_code == 303
    assert len(idp.refusals) == refusals  # the verifier matched the challenge
    sso_client.post("/api/auth/logout")
    start = sso_client.get("/login/sso", follow_redirects=False)  # a new flow cookie
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    code = parse_qs(callback.query)["code"][0]
    r = sso_client.get("/login/sso/callback", params={"code": code, "state": state})
    assert r.status_code == 401 and '"lti-field">code<' in r.text
    assert idp.refusals[-1] == "unknown or used code"


def test_an_lms_launch_with_a_signed_on_email_is_that_same_teacher(sso_client, idp):
    """One person, two ways in: signed on first (e-mail verified by the provider), then
    launched from the LMS with that e-mail — one teacher account."""
    assert sign_in(sso_client, idp).status_code == 303
    ada = sso_client.get("/api/auth/me").json()["teacher"]
    sso_client.post("/api/auth/logout")
    with FakePlatform() as lms:
        lms.tool_url = "http://testserver"
        lms.users["ada"] = {**instructor("ada-lms", "A. Lovelace"), "email": "ADA@uni.example"}
        lms.users["eve"] = {**instructor("eve-lms", "Eve"), "email": "eve@uni.example"}
        lti = sso_client.app.state.lti
        lti.platforms.register(**lms.registration())
        for who, same in (("ada", True), ("eve", False)):
            lms.resource_link = {"id": "link-" + who, "title": "Week 1"}
            start = sso_client.get(
                "/lti/login", params=lms.login_params(who), follow_redirects=False
            )
            q = parse_qs(urlsplit(start.headers["location"]).query)
            token = lms.id_token(who, q["nonce"][0])
            r = sso_client.post(
                "/lti/launch",
                data={"id_token": token, "state": q["state"][0]},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            me = sso_client.get("/api/auth/me").json()["teacher"]
            assert (me["id"] == ada["id"]) is same


def test_an_lms_made_teacher_joins_the_one_who_later_signs_on_with_that_email(sso_client, idp):
    """The other way round: launched from the LMS first (a teacher made by the launch, with a
    classroom), signed on later with the same verified e-mail (a second teacher) — the next
    launch is the signed-on teacher, and the launch-made account's classroom moved to them."""
    with FakePlatform() as lms:
        lms.tool_url = "http://testserver"
        lms.users["ada"] = {**instructor("ada-lms", "A. Lovelace"), "email": "ADA@uni.example"}
        sso_client.app.state.lti.platforms.register(**lms.registration())
        lms.resource_link = {"id": "link-later", "title": "Week 2"}

        def launch():
            start = sso_client.get(
                "/lti/login", params=lms.login_params("ada"), follow_redirects=False
            )
            q = parse_qs(urlsplit(start.headers["location"]).query)
            r = sso_client.post(
                "/lti/launch",
                data={"id_token": lms.id_token("ada", q["nonce"][0]), "state": q["state"][0]},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            return r.headers["location"], sso_client.get("/api/auth/me").json()["teacher"]

        room, made = launch()
        sso_client.post("/api/auth/logout")
        assert sign_in(sso_client, idp).status_code == 303
        signed = sso_client.get("/api/auth/me").json()["teacher"]
        assert signed["id"] != made["id"]  # two accounts until the next launch
        sso_client.post("/api/auth/logout")
        again, me = launch()
        assert me["id"] == signed["id"] and again == room
        rooms = sso_client.get("/api/classrooms").json()
        assert room.split("/")[2] in str(rooms)
