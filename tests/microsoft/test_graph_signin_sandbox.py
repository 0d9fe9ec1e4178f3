"""The sandbox's identity platform for a public client, at the protocol level (httpx):
what its sign-in page refuses, what its tokens say, what delegated scopes allow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jwt

from connectors.sandbox.graph_devicelogin import approve_sign_in, decline_sign_in
from connectors.sandbox.graph_signin import DEVICE_CODE_GRANT
from connectors.settings import MicrosoftSignIn

from .graph_org import DORA, GUS, MIA, RAJ, TENANT, GraphWorld
from .signin_kit import sign_in, store_in


def endpoint(signin: MicrosoftSignIn, name: str) -> str:
    return f"{signin.authority_url}/oauth2/v2.0/{name}"


def start(world: GraphWorld, signin: MicrosoftSignIn, scope: str) -> dict[str, Any]:
    form = {"client_id": signin.client_id, "scope": scope}
    answer = world.client.post(endpoint(signin, "devicecode"), data=form)
    assert answer.status_code == 200
    flow: dict[str, Any] = answer.json()
    return flow


def redeem(world: GraphWorld, signin: MicrosoftSignIn, device_code: str) -> httpx.Response:
    form = {"client_id": signin.client_id, "grant_type": DEVICE_CODE_GRANT}
    return world.client.post(endpoint(signin, "token"), data={**form, "device_code": device_code})


def page(world: GraphWorld, code: str, email: str) -> httpx.Response:
    form = {"otc": code, "login": email, "action": "approve"}
    return world.client.post(world.server.root + "devicelogin", data=form)


def test_the_sign_in_page_refuses_wrong_codes_and_people_outside_the_tenant(
    world: GraphWorld, signin: MicrosoftSignIn
) -> None:
    flow = start(world, signin, "Calendars.Read openid offline_access")

    assert "AADSTS70018" in page(world, "NOTACODE", MIA).text
    assert "AADSTS50034" in page(world, flow["user_code"], GUS).text  # on Google Workspace
    assert "AADSTS50057" in page(world, flow["user_code"], DORA).text  # disabled
    assert redeem(world, signin, flow["device_code"]).json()["error"] == "authorization_pending"
    assert page(world, flow["user_code"], RAJ).status_code == 200
    assert redeem(world, signin, flow["device_code"]).status_code == 200
    again = redeem(world, signin, flow["device_code"]).json()  # a code is redeemed once
    assert (again["error"], again["error_codes"]) == ("invalid_grant", [54005])


def test_a_declined_code_answers_authorization_declined(
    world: GraphWorld, signin: MicrosoftSignIn
) -> None:
    flow = start(world, signin, "Calendars.Read")

    assert decline_sign_in(world.org) == flow["user_code"]
    answer = redeem(world, signin, flow["device_code"])

    assert answer.status_code == 400 and answer.json()["error"] == "authorization_declined"
    assert approve_sign_in(world.org, MIA, flow["user_code"]) is None  # too late


def test_the_id_token_is_signed_and_names_the_person(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    [stored] = json.loads(store.load() or "{}")["IdToken"].values()
    keys = world.client.get(f"{signin.authority_url}/discovery/v2.0/keys").json()["keys"]

    key = jwt.PyJWK(keys[0])
    claims = jwt.decode(stored["secret"], key, algorithms=["RS256"], audience=signin.client_id)

    assert claims["preferred_username"] == MIA and claims["tid"] == TENANT
    assert claims["iss"] == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert {"oid", "sub", "name", "iat", "exp"} <= claims.keys()


def test_an_unknown_refresh_token_is_an_invalid_grant(
    world: GraphWorld, signin: MicrosoftSignIn
) -> None:
    form = {
        "client_id": signin.client_id,
        "grant_type": "refresh_token",
        "refresh_token": "1.AQ4Anot-one-the-sandbox-issued",
    }
    answer = world.client.post(endpoint(signin, "token"), data=form).json()

    assert (answer["error"], answer["error_codes"]) == ("invalid_grant", [9002313])


def delegated_token(world: GraphWorld, signin: MicrosoftSignIn, scope: str) -> dict[str, str]:
    """Authorization headers of Mia's token for `scope`."""
    flow = start(world, signin, scope)
    approve_sign_in(world.org, MIA, flow["user_code"])
    token = redeem(world, signin, flow["device_code"]).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def read_mine(world: GraphWorld, signin: MicrosoftSignIn, auth: dict[str, str]):  # type: ignore[no-untyped-def]
    graph = signin.graph_endpoint
    reports = world.client.get(f"{graph}/me/directReports", headers=auth).json()["value"]
    window = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}
    delta = world.client.get(f"{graph}/me/calendarView/delta", headers=auth, params=window)
    return [set(entry) for entry in reports], delta


def test_with_user_read_alone_reports_are_ids_and_the_calendar_is_closed(
    world: GraphWorld, signin: MicrosoftSignIn
) -> None:
    reports, delta = read_mine(world, signin, delegated_token(world, signin, "User.Read"))

    assert reports == [{"@odata.type", "id"}] * 2
    assert (delta.status_code, delta.json()["error"]["code"]) == (403, "ErrorAccessDenied")


def test_basic_profiles_of_reports_and_the_own_calendar_with_the_login_scopes(
    world: GraphWorld, signin: MicrosoftSignIn
) -> None:
    scope = "User.Read User.ReadBasic.All https://graph.microsoft.com/Calendars.Read"
    reports, delta = read_mine(world, signin, delegated_token(world, signin, scope))

    contact = {"@odata.type", "id", "displayName", "mail"}  # Gus, on Google
    user = contact | {"givenName", "surname", "userPrincipalName"}  # no title, no hire date
    assert reports == [contact, user] and delta.status_code == 200
