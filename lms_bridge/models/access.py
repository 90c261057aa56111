"""Who may call the LRS: LMS clients with hashed secrets and xAPI scopes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, UTCDateTime


class Client(Base):
    """An LMS platform (machine client) that authenticates with HTTP Basic.

    ``secret_hash`` is a salted scrypt hash: the secret itself is shown once, at creation.
    ``authority`` is the xAPI Agent the LRS sets as ``authority`` on statements it stores
    for this client (xAPI 1.0.3 Data 2.4.9).
    """

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    authority: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ClientActivity(Base):
    """When a client was last seen making an authenticated request (to the minute).

    A table of its own, not a column of ``clients``: writing ``clients`` notifies every
    process to drop its cache of authenticated clients (migration 0007), and a touch once a
    minute must not do that.
    """

    __tablename__ = "client_activity"

    client_id: Mapped[int] = mapped_column(BigId, ForeignKey("clients.id"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
