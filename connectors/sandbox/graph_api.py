"""The sandbox's Microsoft 365: identity platform (msal) and Graph over one org.

Point a client at a running sandbox server with root `https://127.0.0.1:PORT/`:
`microsoft.authority = root + "{tenant}"` (like `login.microsoftonline.com/{tenant}`,
msal with `instance_discovery=False`) and `microsoft.graph_endpoint = root + "graph/v1.0"`.

Served: tenant discovery and the v2.0 token endpoint (client credentials);
`/users/{id|upn}/calendarView` and `/calendarView/delta` with `Prefer:
odata.maxpagesize` and `outlook.timezone`; `/users`, `/users/{id}/manager`,
`/users/{id}/directReports`; `/communications/callRecords` (graph_calls.py); JSON batching
(`/$batch`); certificate credentials; application permissions (`withdraw_permission`).
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
from connectors.sandbox.graph_directory import directory_routes
from connectors.sandbox.graph_identity import identity_routes
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Fault, Route

__all__ = ["GraphSandbox", "authority_for", "graph_endpoint_for", "graph_routes"]


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

    def routes(self) -> list[Route]:
        """Every Microsoft route, for `connectors.sandbox.server.serve`."""
        calendar = self.state.mailbox_limit.guard(calendar_routes(self.state))
        inner = calendar + directory_routes(self.state) + call_record_routes(self.state)
        return identity_routes(self.state) + inner + batch_routes(self.state, inner)

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
        with self.state.lock:
            self.state.tokens.clear()
            self.state.token_roles.clear()

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
