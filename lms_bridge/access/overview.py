"""What an administrator sees of each LMS client: its row and what it has sent.

"Last seen" is the client's last authenticated request, written at most once a minute per
client and process (lms_bridge.access.activity); "statements" and the newest one are read
from the statements table when the page is opened (one grouped scan). Refused requests
(wrong secret, revoked) are not recorded anywhere, so the page cannot show errors; see
docs/admin.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_bridge.access.clients import CreatedClient, create_client, revoke_client
from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work
from lms_bridge.models import Client, ClientActivity, Statement


@dataclass(frozen=True)
class ClientOverview:
    """One client's row on the administrators' page (never its secret or hash)."""

    id: int
    name: str
    key: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None
    statements: int
    last_statement_at: datetime | None
    last_seen_at: datetime | None
    """The last authenticated request, to the minute (lms_bridge.access.activity)."""


def client_overview(session: Session) -> list[ClientOverview]:
    """Every client, revoked ones too, with the statements it stored and the newest one."""
    sent = {
        client_id: (count, newest)
        for client_id, count, newest in session.execute(
            select(Statement.client_id, func.count(), func.max(Statement.stored)).group_by(
                Statement.client_id
            )
        )
    }
    seen = dict(
        session.execute(select(ClientActivity.client_id, ClientActivity.last_seen_at)).all()
    )
    overview = []
    for client in session.scalars(select(Client).order_by(Client.id)):
        count, newest = sent.get(client.id, (0, None))
        overview.append(
            ClientOverview(
                id=client.id,
                name=client.name,
                key=client.key,
                scopes=tuple(client.scopes),
                created_at=client.created_at,
                revoked_at=client.revoked_at,
                statements=int(count),
                last_statement_at=newest,
                last_seen_at=seen.get(client.id),
            )
        )
    return overview


def create_client_as(
    actor: str, name: str, scopes: list[str], *, hash_method: str
) -> CreatedClient:
    """Create a client from the administrators' page, and record who did (never the secret)."""
    created = create_client(name, scopes=scopes, hash_method=hash_method)
    with unit_of_work() as session:
        record_event(
            session,
            actor=actor,
            action="client.create",
            subject_type="client",
            subject_id=created.key,
            after={"name": created.name, "scopes": list(created.scopes)},
        )
    return created


def revoke_client_as(actor: str, key: str) -> None:
    """Revoke a client from the administrators' page, and record who did."""
    revoke_client(key)
    with unit_of_work() as session:
        record_event(
            session,
            actor=actor,
            action="client.revoke",
            subject_type="client",
            subject_id=key,
        )
