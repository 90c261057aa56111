"""JP policies uploaded from the administrators' page: every version kept, one active."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, UTCDateTime


class StoredPolicy(Base):
    """A validated policy file as uploaded; ``active`` marks the one the service runs.

    With no active row the service runs the file of ``LMS_BRIDGE_POLICY_FILE`` (or the
    shipped default). Every worker reads the active row (lms_bridge.credit.active_policy).
    """

    __tablename__ = "jp_policies"
    __table_args__ = (Index("ix_jp_policies_active", "active"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    applied_by: Mapped[str | None] = mapped_column(String(320), default=None)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
