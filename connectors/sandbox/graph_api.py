"""The sandbox's Microsoft 365: identity platform (msal) and Graph over one org.

Point a client at a running sandbox server with root `https://127.0.0.1:PORT/`:
`microsoft.authority = root + "{tenant}"` (like `login.microsoftonline.com/{tenant}`,
msal with `instance_discovery=False`) and `microsoft.graph_endpoint = root + "graph/v1.0"`.

Served: tenant discovery and the v2.0 token endpoint (client credentials);
`/users/{id|upn}/calendarView` and `/calendarView/delta` with `Prefer:
odata.maxpagesize` and `outlook.timezone`; `/users`, `/users/{id}/manager`,
`/users/{id}/directReports`. Throttling and other faults come from the server's fault
queue (`SandboxHTTPServer.add_fault`).
"""

from __future__ import annotations

from connectors.sandbox.graph_calendar import calendar_routes, expire_deltas
from connectors.sandbox.graph_common import GraphState
from connectors.sandbox.graph_directory import directory_routes
from connectors.sandbox.graph_identity import identity_routes
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Route

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
        return (
            identity_routes(self.state) + calendar_routes(self.state) + directory_routes(self.state)
        )

    def expire_deltas(self) -> None:
        """Forget every delta token: the next replay answers 410 syncStateNotFound."""
        expire_deltas(self.state)


def graph_routes(
    org: SandboxOrg, tenant_id: str, client_id: str, client_secret: str
) -> list[Route]:
    """Routes of the Microsoft identity platform and Graph for `org`'s Microsoft members."""
    return GraphSandbox(org, tenant_id, client_id, client_secret).routes()
