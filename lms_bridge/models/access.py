"""Who may call the LRS: LMS clients with hashed secrets and xAPI scopes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
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
