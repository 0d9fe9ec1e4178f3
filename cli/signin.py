"""`oneonone login`: a manager signs in as themselves, no admin needed."""

from __future__ import annotations

from collections.abc import Callable

from runtime.config import Config
from runtime.one_manager import google_signin, http_settings, microsoft_signin, token_store


def sign_in(
    config: Config,
    provider: str,
    *,
    open_browser: bool,
    show: Callable[[str], None],
    account: str | None = None,
) -> tuple[str, str]:
    """Run the provider's sign-in; who signed in, and where their tokens are kept.

    Google: the installed-app flow, a browser redirected back to a port on 127.0.0.1
    (`open_browser=False` shows the address to open elsewhere; `account` is offered as
    the account to sign in with). Microsoft: the
    device-code flow (a code to enter at the address `show` prints).
    """
    http = http_settings(config)
    if provider == "google":
        from connectors.google.oauth import login as google_login

        store = token_store(config, "google")
        signin = google_signin(config)
        who = google_login(
            signin, http, store, open_browser=open_browser, show=show, account=account
        )
        return who, store.where()
    from connectors.microsoft.delegated import login as microsoft_login

    store = token_store(config, "microsoft")
    return microsoft_login(microsoft_signin(config), http, store, show=show), store.where()
