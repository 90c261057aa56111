"""The ASN directory and the mapping from LMS identities to a NIP.

Credit belongs to a person, and a person is a NIP. Most LMSs send the NIP itself as an
account name, but some only know an e-mail address or their own user id; ``people`` lets an
``mbox`` / ``mbox_sha1sum`` actor be matched to its owner, and ``actor_mappings`` lets an
administrator say outright which NIP an LMS identity belongs to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, UTCDateTime
from lms_bridge.models.lrs import KEY_LENGTH

EMPLOYMENT_KINDS = ("PNS", "CPNS", "PPPK")
MAPPING_SOURCES = ("csv", "api", "page")


class Person(Base):
    """One ASN as the training agency knows them: who, where they work, how to recognise them.

    ``email`` is stored lowercased, and ``email_sha1`` is the xAPI ``mbox_sha1sum`` of it
    (SHA-1 of ``mailto:<email>``, Data 2.4.2.3), so both kinds of e-mail actor resolve with one
    indexed lookup on the statement hot path.
    """

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("employment IN ('PNS', 'CPNS', 'PPPK')", name="employment"),
        # Auditors read credit per agency; listing an agency's people in NIP order is one scan.
        Index("ix_people_agency_nip", "agency", "nip"),
    )

    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200))
    """Instansi (e.g. "Pemerintah Provinsi Lampung")."""
    unit: Mapped[str] = mapped_column(String(200))
    """Unit kerja / OPD (e.g. "Dinas Pendidikan")."""
    position: Mapped[str | None] = mapped_column(String(200), default=None)
    """Jabatan, when known."""
    email: Mapped[str | None] = mapped_column(String(254), index=True, default=None)
    email_sha1: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    employment: Mapped[str] = mapped_column(String(4))
    """``PNS``, ``CPNS`` (a PNS in the probation year, who must pass Latsar) or ``PPPK``."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActorMapping(Base):
    """An administrator's statement that an LMS identity (an xAPI actor) is this NIP.

    ``actor_key`` is the index key (lms_bridge.sql.keys.index_key) of the actor's identity
    string (xapi.identifiers.agent_key), the same form ``statements.actor_key`` holds, so a
    mapping and the statements it concerns are found by one equality.
    """

    __tablename__ = "actor_mappings"
    __table_args__ = (CheckConstraint("source IN ('csv', 'api', 'page')", name="source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10), unique=True)
    nip: Mapped[str] = mapped_column(String(18), ForeignKey("people.nip"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    """How the mapping arrived: ``csv`` (an imported file), ``api``, or ``page`` (an auditor
    chose the NIP on the unmatched actors' page)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the mapping last pointed somewhere new: credit moves with it."""
