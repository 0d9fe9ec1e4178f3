"""The sandbox's Microsoft 365: identity platform (msal) and Graph over one org.

Point a client at a running sandbox server with root `https://127.0.0.1:PORT/`:
`microsoft.authority = root + "{tenant}"` (like `login.microsoftonline.com/{tenant}`,
msal with `instance_discovery=False`) and `microsoft.graph_endpoint = root + "graph/v1.0"`.

Served: tenant discovery and the v2.0 token endpoint (client credentials);
`/users/{id|upn}/calendarView` and `/calendarView/delta` with `Prefer:
odata.maxpagesize` and `outlook.timezone`; `/users`, `/users/{id}/manager`,
`/users/{id}/directReports`; `/communications/callRecords` (graph_calls.py); JSON batching
(`/$batch`); certificate credentials; application permissions (`withdraw_permission`).
A public client app (`PUBLIC_CLIENT_ID`) signs people in with the device-code flow
(graph_signin.py, the `/devicelogin` page of graph_devicelogin.py); their delegated
tokens read `/me`, `/me/directReports` and their own calendar (graph_me.py).
Calendar requests beyond 4 at once for one mailbox are throttled as Graph does
(connectors/sandbox/throttle.py). Other throttling and faults come from the server's
fault queue (`SandboxHTTPServer.add_fault`).
"""

from __future__ import annotations

from cryptography import x509

from connectors.sandbox.graph_batch import batch_routes
from connectors.sandbox.graph_calendar import calendar_routes, expire_deltas
from connectors.sandbox.graph_calls import call_record_routes
from connectors.sandbox.graph_common import GraphState
from connectors.sandbox.graph_devicelogin import devicelogin_routes, register
from connectors.sandbox.graph_directory import directory_routes
from connectors.sandbox.graph_grants import PUBLIC_CLIENT_ID, Grants
from connectors.sandbox.graph_identity import identity_routes
from connectors.sandbox.graph_me import me_routes
from connectors.sandbox.graph_signin import signin_routes
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Fault, Route

__all__ = [
    "PUBLIC_CLIENT_ID",
    "GraphSandbox",
    "authority_for",
    "graph_endpoint_for",
    "graph_routes",
]


def authority_for(root: str) -> str:
    """The `microsoft.authority` setting for a sandbox server at `root` (trailing /)."""
    return root + "{tenant}"


def graph_endpoint_for(root: str) -> str:
    """The `microsoft.graph_endpoint` setting for a sandbox server at `root`."""
    return root + "graph/v1.0"


class GraphSandbox:
    """The Microsoft side of the sandbox: its state and its routes."""

    def __init__(self, org: SandboxOrg, tenant_id: str, client_id: str, client_secret: str):
        self.state = GraphState(org, tenant_id, client_id, client_secret)
        register(self.state)  # for the sign-in controls of graph_devicelogin.py

    def routes(self) -> list[Route]:
        """Every Microsoft route, for `connectors.sandbox.server.serve`."""
        state = self.state
        calendar = state.mailbox_limit.guard(calendar_routes(state))
        inner = calendar + directory_routes(state) + me_routes(state) + call_record_routes(state)
        # The sign-in routes go first: their token route hands client credentials on.
        identity = signin_routes(state) + identity_routes(state) + devicelogin_routes(state)
        return identity + inner + batch_routes(state, inner)

    def add_batch_fault(self, fault: Fault) -> None:
        """Replace the next inner $batch replies whose URL matches `fault.path_regex`."""
        with self.state.lock:
            self.state.batch_faults.append(fault)

    def trust_certificate(self, certificate_pem: str) -> None:
        """Register a certificate on the app: assertions signed by its key are accepted."""
        with self.state.lock:
            self.state.certificates.append(x509.load_pem_x509_certificate(certificate_pem.encode()))

    def revoke_tokens(self) -> None:
        """Forget every issued access token: Graph answers 401 until the client gets a new one."""
        self.state.forget_tokens()

    def reset_sign_ins(self) -> None:
        """Forget every sign-in (codes, refresh and delegated access tokens) and restore
        the sign-in knobs (polling interval, code and token lifetimes)."""
        with self.state.lock:
            old = self.state.grants
            self.state.forget_tokens(list(old.delegations))
            self.state.grants = Grants(old.public_client_id, lock=self.state.lock)

    def withdraw_permission(self, role: str) -> None:
        """Take an application permission (e.g. `CallRecords.Read.All`) from the app: tokens
        issued from now on lack it (those issued before keep what they carried)."""
        with self.state.lock:
            self.state.roles.discard(role)

    def expire_deltas(self) -> None:
        """Forget every delta token: the next replay answers 410 syncStateNotFound."""
        expire_deltas(self.state)


def graph_routes(
    org: SandboxOrg, tenant_id: str, client_id: str, client_secret: str
) -> list[Route]:
    """Routes of the Microsoft identity platform and Graph for `org`'s Microsoft members."""
    return GraphSandbox(org, tenant_id, client_id, client_secret).routes()
