"""Documents a Learning Record Provider keeps in the LRS: state, activity and agent profiles.

xAPI 1.0.3 Communication 2.2 ("Document Resources"): three resources share one shape, a
document addressed by its parents (activity, agent, registration) and its own id, holding
opaque content with a content type, an ETag and a last-modified time. One table serves all
three; ``kind`` says which resource a row belongs to.

The address columns hold index keys (lms_bridge.sql.keys) so long IRIs stay indexable, and an
absent part is the empty string, not NULL: NULLs are distinct in unique constraints on both
SQLite and PostgreSQL, which would let two rows claim one address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, UTCDateTime
from lms_bridge.models.lrs import KEY_LENGTH


class Document(Base):
    """One state, activity profile or agent profile document."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint(
            "kind",
            "activity_key",
            "agent_key",
            "registration",
            "document_key",
            name="uq_documents_address",
        ),
        Index("ix_documents_listing", "kind", "activity_key", "agent_key", "updated"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``state``, ``activity_profile`` or ``agent_profile``."""
    activity_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    """Index key of ``activityId``; empty for agent profiles."""
    agent_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    """Index key of the agent's IFI (xapi.identifiers.agent_key); empty for activity profiles."""
    registration: Mapped[str] = mapped_column(String(36))
    """Lowercase registration UUID of a state document; empty when none was given."""
    document_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    """Index key of ``stateId`` / ``profileId``."""
    document_id: Mapped[str] = mapped_column(Text)
    """``stateId`` / ``profileId`` as given, which listings return."""
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(40))
    """SHA-1 of ``content`` in lowercase hex, unquoted (Communication 3.1)."""
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the document last changed: ``Last-Modified`` and the ``since`` filter."""
