"""A person's own Microsoft 365 sign-in (no admin): msal's device-code flow, and the
delegated tokens it leaves behind.

`login` runs the device-code flow of a public client app registration: it shows the
person a code and a page, msal polls the token endpoint while they sign in there in a
browser (on any device), and msal's token cache (the account, its refresh token, its
access tokens) is kept in the owner-only `TokenStore`. `DelegatedTokens` then serves
access tokens from that cache without asking anyone, redeeming the refresh token when
they expire, and saves the cache back whenever msal changed it. msal talks to the
identity platform through our httpx client (auth.py's `HttpxForMsal`): one CA bundle,
one timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import msal
import msal.exceptions

from connectors.microsoft.auth import HttpxForMsal
from connectors.microsoft.client import make_http_client
from connectors.settings import HttpSettings, MicrosoftSignIn
from connectors.token_store import TokenStore
from core.errors import AuthError, BadInputError, RetriableError

# Delegated permissions, none needing an admin's consent: the person's own calendar,
# their own profile, and their reports' basic profiles. msal adds openid, profile
# and offline_access (the refresh token).
SCOPES = ("Calendars.Read", "User.Read", "User.ReadBasic.All")
NOT_SIGNED_IN = "no Microsoft sign-in: run `oneonone login microsoft`"
SIGN_IN_AGAIN = "the Microsoft sign-in expired or was revoked: run `oneonone login microsoft` again"
# Entra's codes (the `error_codes` of its answers) that login explains.
_NOT_PUBLIC = 7000218  # a confidential app: "Allow public client flows" is off
_NO_SUCH_APP = 700016
_T = TypeVar("_T")


def load_cache(store: TokenStore) -> msal.SerializableTokenCache:
    """msal's token cache as kept in `store` (empty when nobody signed in)."""
    cache = msal.SerializableTokenCache()
    text = store.load()
    if text:
        try:
            cache.deserialize(text)
        except ValueError:
            raise BadInputError(
                f"{store.where()}: not a Microsoft sign-in this version can read;"
                " expected msal's token cache (run `oneonone login microsoft` again)"
            ) from None
    return cache


def save_cache(cache: msal.SerializableTokenCache, store: TokenStore) -> None:
    """Keep `cache` in `store` if msal changed it since it was loaded or last saved."""
    if cache.has_state_changed:
        store.save(cache.serialize())
        cache.has_state_changed = False


def public_application(
    signin: MicrosoftSignIn, client: httpx.Client, cache: msal.SerializableTokenCache
) -> msal.PublicClientApplication:
    """msal's app for the public client `signin` (it reads the tenant's OpenID
    configuration here), talking through `client`, keeping its tokens in `cache`."""
    try:
        return msal.PublicClientApplication(
            signin.client_id,
            authority=signin.authority_url,
            instance_discovery=False,
            http_client=HttpxForMsal(client),
            token_cache=cache,
        )
    except (httpx.HTTPError, msal.exceptions.MsalServiceError) as error:
        raise RetriableError(f"Microsoft identity unreachable at {signin.authority_url}") from error
    except ValueError:  # msal found no OpenID configuration for the authority
        raise AuthError(
            f"Microsoft identity has no tenant {signin.tenant_id!r} at {signin.authority_url}:"
            " check microsoft.tenant_id (the tenant's id or domain, or 'organizations')"
        ) from None


def _identity_call(signin: MicrosoftSignIn, call: Callable[[], _T]) -> _T:
    """`call()` with the identity platform's transient failures as RetriableError."""
    try:
        return call()
    except (httpx.HTTPError, msal.exceptions.MsalServiceError) as error:
        # Unreachable, or a 5xx from the identity platform: worth another try.
        raise RetriableError(f"Microsoft identity unreachable at {signin.authority_url}") from error
    except ValueError as error:  # msal could not parse an answer (not JSON)
        raise RetriableError(
            f"Microsoft identity sent a malformed answer at {signin.authority_url}"
        ) from error


def login(
    signin: MicrosoftSignIn,
    http: HttpSettings,
    store: TokenStore,
    show: Callable[[str], None] = print,
) -> str:
    """Sign a person in with the device-code flow; the address they signed in as.

    `show` gets Entra's instruction ("To sign in, use a web browser to open the page
    … and enter the code … to authenticate."); this returns once they did, keeping the
    sign-in in `store` in place of any earlier one. Raises AuthError when they decline,
    the code expires, or the app registration refuses the flow.
    """
    cache = load_cache(store)
    with make_http_client(http) as client:
        app = public_application(signin, client, cache)
        flow = _identity_call(signin, lambda: app.initiate_device_flow(scopes=list(SCOPES)))
        if "user_code" not in flow:
            raise _refusal(signin, flow)
        show(str(flow["message"]))
        result = _identity_call(signin, lambda: app.acquire_token_by_device_flow(flow))
        if "access_token" not in result:
            raise _refusal(signin, result)
        address = _keep_only(app, result)
        save_cache(cache, store)
    return address


def _keep_only(app: msal.PublicClientApplication, result: dict[str, Any]) -> str:
    """Forget every account but the one just signed in; its address."""
    claims = result.get("id_token_claims") or {}
    address = str(claims.get("preferred_username") or "").lower()
    for account in app.get_accounts():
        if str(account.get("username") or "").lower() != address:
            app.remove_account(account)
    return address


def _refusal(signin: MicrosoftSignIn, result: dict[str, Any]) -> AuthError:
    """The AuthError for a failed device-code flow, saying what to do about it."""
    error = str(result.get("error") or "error")
    codes = set(result.get("error_codes") or ())
    again = "run `oneonone login microsoft` again"
    if error == "authorization_declined":
        return AuthError(f"the Microsoft sign-in was declined in the browser: {again}")
    if error in ("expired_token", "authorization_pending"):  # pending: msal stopped polling
        return AuthError(f"the Microsoft sign-in code expired before it was entered: {again}")
    app = f"app registration {signin.client_id}"
    if _NOT_PUBLIC in codes:
        return AuthError(
            f"Microsoft identity refused the device-code sign-in of {app}: turn on"
            " 'Allow public client flows' in its Authentication settings (it needs no secret)"
        )
    if _NO_SUCH_APP in codes or error == "unauthorized_client":
        return AuthError(
            f"Microsoft identity knows no {app} in tenant {signin.tenant_id}:"
            " check microsoft.client_id and microsoft.tenant_id"
        )
    lines = str(result.get("error_description") or "").splitlines()
    first = lines[0] if lines else "no description"
    return AuthError(f"Microsoft identity refused the sign-in of {app}: {error}: {first}")


class DelegatedTokens:
    """Access tokens of the person signed in with `login`, from the cache in `store`.

    The same surface as auth.TokenProvider (`token`, `invalidate`). msal serves a cached
    access token while it lasts, else redeems the refresh token; the cache is saved back
    to `store` when that changed it. Thread-safe: one lock around msal and the store.
    """

    def __init__(self, signin: MicrosoftSignIn, client: httpx.Client, store: TokenStore) -> None:
        self._signin = signin
        self._client = client
        self._store = store
        self._lock = threading.Lock()
        self._cache: msal.SerializableTokenCache | None = None
        self._app: msal.PublicClientApplication | None = None

    @property
    def address(self) -> str:
        """The signed-in person's address (the sign-in's user name, lower-case)."""
        with self._lock:
            return str(self._account()[1].get("username") or "").lower()

    def token(self) -> str:
        """A valid access token; AuthError when nobody is signed in or the sign-in
        no longer works (expired, revoked, password changed)."""
        with self._lock:
            app, account = self._account()
            result = _identity_call(
                self._signin, lambda: app.acquire_token_silent_with_error(list(SCOPES), account)
            )
            assert self._cache is not None  # loaded by _account
            save_cache(self._cache, self._store)
        if result and "access_token" in result:
            return str(result["access_token"])
        if result and result.get("error") == "temporarily_unavailable":
            raise RetriableError(f"Microsoft identity unavailable at {self._signin.authority_url}")
        # None: no refresh token left; invalid_grant / interaction_required: refused.
        raise AuthError(SIGN_IN_AGAIN)

    def invalidate(self, rejected: str) -> None:
        """Drop `rejected` (refused by Graph) from the cache: the next `token()` redeems
        the refresh token rather than serving it again."""
        with self._lock:
            if self._cache is None:
                return
            kind = msal.TokenCache.CredentialType.ACCESS_TOKEN
            for item in list(self._cache.search(kind)):
                if item.get("secret") == rejected:
                    self._cache.remove_at(item)
            save_cache(self._cache, self._store)

    def _account(self) -> tuple[msal.PublicClientApplication, dict[str, Any]]:
        """msal's app and the signed-in account (the caller holds the lock)."""
        if self._app is None:
            self._cache = load_cache(self._store)
            if not any(self._cache.search(msal.TokenCache.CredentialType.ACCOUNT)):
                raise AuthError(NOT_SIGNED_IN)  # before msal reads the tenant's configuration
            self._app = public_application(self._signin, self._client, self._cache)
        accounts = self._app.get_accounts()
        if not accounts:
            raise AuthError(NOT_SIGNED_IN)
        return self._app, accounts[0]
