"""LMS client credentials: creation, listing, revocation and authentication."""

from lms_bridge.access.clients import (
    KNOWN_SCOPES,
    AuthenticatedClient,
    ClientError,
    CreatedClient,
    authenticate_client,
    create_client,
    list_clients,
    reset_client,
    revoke_client,
)

__all__ = [
    "KNOWN_SCOPES",
    "AuthenticatedClient",
    "ClientError",
    "CreatedClient",
    "authenticate_client",
    "create_client",
    "list_clients",
    "reset_client",
    "revoke_client",
]
