"""State, activity profile and agent profile documents (xAPI 1.0.3 Communication 2.2-2.7, 3.1).

The three document resources differ only in what a document hangs from (an activity, an
agent, a registration), so one set of use cases serves them all, addressed by a
:class:`DocumentSet` plus a document id.

Concurrency (Communication 3.1): every write compares the client's If-Match / If-None-Match
with the stored ETag *inside* the transaction that writes, with the row locked (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite's unit of work holds the database write lock from ``BEGIN``), so
two writers holding the same ETag cannot both win. Two writers creating the same document race
on the unique address instead; the loser retries and then sees the winner's row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import Document
from lms_bridge.sql.keys import index_key
from xapi.errors import BadRequest, Conflict, NotFound, PreconditionFailed
from xapi.versions import VERSION_1, XAPIVersion

JSON_MEDIA_TYPE = "application/json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
WRITE_RETRIES = 3
"""Creating one document twice at once surfaces as a unique violation: retry, then compare."""

T = TypeVar("T")


class DocumentKind(StrEnum):
    """The three document resources (Communication 2.3, 2.6, 2.7)."""

    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


class DocumentNotFound(NotFound):
    """No document at that address."""


class DocumentChanged(PreconditionFailed):
    """If-Match / If-None-Match does not hold for the stored document (Communication 3.1)."""


class DocumentExists(Conflict):
    """A PUT without If-Match or If-None-Match would overwrite a document (Communication 3.1)."""


class ConcurrencyHeaderMissing(BadRequest):
    """A profile PUT names neither If-Match nor If-None-Match (Communication 3.1, clients MUST)."""


class DocumentNotMergeable(BadRequest):
    """A POST where the posted or the stored document is not a JSON object (Communication 2.2)."""


@dataclass(frozen=True)
class DocumentSet:
    """What documents hang from: an activity, an agent, a registration, by kind.

    ``agent_key`` is the agent's identity (xapi.identifiers.agent_key). ``registration`` is a
    lowercase UUID; for one document, ``None`` means "no registration", for a set of state
    documents it means "any registration".
    """

    kind: DocumentKind
    activity_id: str | None = None
    agent_key: str | None = None
    registration: str | None = None


@dataclass(frozen=True)
class Preconditions:
    """The entity tags of If-Match and If-None-Match, unquoted; ``("*",)`` means any; ``None``
    means the header was not sent."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @property
    def given(self) -> bool:
        """Whether the client sent either header."""
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class DocumentVersion:
    """The ETag and last-modified time a write left the document with."""

    etag: str
    updated: datetime


@dataclass(frozen=True)
class StoredDocument:
    """One document as GET returns it."""

    content: bytes
    content_type: str
    etag: str
    updated: datetime


@dataclass(frozen=True)
class DocumentIds:
    """The ids of a set of documents and the newest last-modified time among them."""

    ids: list[str]
    last_modified: datetime | None


# --- use cases ---------------------------------------------------------------------------


def put_document(
    documents: DocumentSet,
    document_id: str,
    content: bytes,
    content_type: str,
    *,
    preconditions: Preconditions,
    version: XAPIVersion,
) -> DocumentVersion:
    """Store ``content`` at the address, replacing what was there (Communication 2.2 PUT)."""

    def write(session: Session) -> DocumentVersion:
        row = _locked(session, documents, document_id)
        _check_preconditions(row, preconditions)
        if not preconditions.given:
            _check_unconditional_put(documents.kind, version, row)
        return _save(
            session, documents, document_id, row, content=content, content_type=content_type
        )

    return _in_transaction(write)


def merge_document(
    documents: DocumentSet,
    document_id: str,
    content: bytes,
    content_type: str,
    *,
    preconditions: Preconditions,
) -> DocumentVersion:
    """Merge a JSON object into the stored one, one level deep (Communication 2.2 POST).

    Top-level properties of the posted object replace those of the stored object; a missing
    document is stored as posted. Either side not being a JSON object is a 400.
    """
    posted = _json_object(content, content_type, "the posted document")

    def write(session: Session) -> DocumentVersion:
        row = _locked(session, documents, document_id)
        _check_preconditions(row, preconditions)
        if row is None:
            return _save(
                session, documents, document_id, None, content=content, content_type=content_type
            )
        stored = _json_object(row.content, row.content_type, "the stored document")
        merged = json.dumps({**stored, **posted}, ensure_ascii=False, separators=(",", ":"))
        return _save(
            session,
            documents,
            document_id,
            row,
            content=merged.encode(),
            content_type=JSON_MEDIA_TYPE,
        )

    return _in_transaction(write)


def get_document(session: Session, documents: DocumentSet, document_id: str) -> StoredDocument:
    """The document at the address, or DocumentNotFound."""
    row = session.scalars(select(Document).where(*_address(documents, document_id))).first()
    if row is None:
        raise DocumentNotFound(f"no {_label(documents.kind)} document with id {document_id!r}")
    return StoredDocument(
        content=bytes(row.content),
        content_type=row.content_type,
        etag=row.etag,
        updated=row.updated,
    )


def list_document_ids(
    session: Session, documents: DocumentSet, *, since: datetime | None
) -> DocumentIds:
    """Ids of the set's documents, only those updated after ``since`` when given (exclusive)."""
    query = select(Document.document_id, Document.updated).where(*_set_filter(documents))
    if since is not None:
        query = query.where(Document.updated > since)
    rows = session.execute(query.order_by(Document.updated, Document.id)).all()
    return DocumentIds(
        ids=[document_id for document_id, _ in rows],
        last_modified=max((updated for _, updated in rows), default=None),
    )


def delete_documents(
    documents: DocumentSet, document_id: str | None, *, preconditions: Preconditions
) -> None:
    """Delete one document, or every document of the set when ``document_id`` is None.

    Deleting what is not there succeeds (the outcome the client asked for holds). If-Match
    applies to a single document only; a set has no one ETag to compare.
    """

    def write(session: Session) -> None:
        if document_id is None:
            session.execute(delete(Document).where(*_set_filter(documents)))
            return
        row = _locked(session, documents, document_id)
        _check_preconditions(row, preconditions)
        if row is not None:
            session.delete(row)
            session.flush()

    _in_transaction(write)


# --- rules -------------------------------------------------------------------------------


def etag_of(content: bytes) -> str:
    """Communication 3.1: the SHA-1 of the content in lowercase hex (1.0.3 requires it)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def _matches(etag: str, tags: tuple[str, ...]) -> bool:
    return "*" in tags or etag in {tag.lower() for tag in tags}


def _check_preconditions(row: Document | None, preconditions: Preconditions) -> None:
    """RFC 7232 3.1/3.2 as Communication 3.1 asks: a failed precondition is a 412."""
    if preconditions.if_match is not None and (
        row is None or not _matches(row.etag, preconditions.if_match)
    ):
        raise DocumentChanged(
            "If-Match does not hold: the document changed since that ETag was read, or does not "
            "exist; GET it again and retry with its current ETag"
        )
    if (
        preconditions.if_none_match is not None
        and row is not None
        and _matches(row.etag, preconditions.if_none_match)
    ):
        raise DocumentChanged("If-None-Match does not hold: the document already exists")


def _check_unconditional_put(
    kind: DocumentKind, version: XAPIVersion, row: Document | None
) -> None:
    """A PUT with neither If-Match nor If-None-Match (Communication 3.1).

    Overwriting an existing document this way is a 409. xAPI 1.0.3 exempts the State
    resource ("will permit PUT, POST and DELETE requests without concurrency headers"); the
    2.0.0 conformance suite expects the 409 for State too. Creating a profile document this
    way is a 400: clients "MUST include the If-Match header or the If-None-Match header" for
    profiles, and the 1.0.3 suite checks that the LRS refuses it.
    """
    if kind is DocumentKind.STATE and version == VERSION_1:
        return
    if row is not None:
        raise DocumentExists(
            "the document already exists and the PUT carried neither If-Match nor "
            "If-None-Match; GET the document to check its current state, then PUT again with "
            "If-Match set to its ETag"
        )
    if kind is not DocumentKind.STATE:
        raise ConcurrencyHeaderMissing(
            "a PUT to a profile resource must carry If-Match (to replace a document) or "
            "If-None-Match: * (to create one)"
        )


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _json_object(content: bytes, content_type: str, what: str) -> dict[str, Any]:
    """Communication 2.2: only JSON objects merge; anything else is a 400."""
    if _media_type(content_type) != JSON_MEDIA_TYPE:
        raise DocumentNotMergeable(
            f"{what} has Content-Type {content_type or 'none'}; POST merges only "
            "application/json objects (PUT replaces a document of any type)"
        )
    try:
        value = json.loads(content)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise DocumentNotMergeable(f"{what} is not valid JSON") from error
    except RecursionError as error:  # nested deeper than the parser goes (~1,000 levels)
        raise DocumentNotMergeable(f"{what} nests too deep to merge") from error
    if not isinstance(value, dict):
        raise DocumentNotMergeable(f"{what} is JSON but not an object; only objects merge")
    return value


def _label(kind: DocumentKind) -> str:
    return kind.value.replace("_", " ")


# --- storage -----------------------------------------------------------------------------


def _set_columns(documents: DocumentSet) -> tuple[str, str]:
    activity = index_key(documents.activity_id) if documents.activity_id is not None else ""
    agent = index_key(documents.agent_key) if documents.agent_key is not None else ""
    return activity, agent


def _set_filter(documents: DocumentSet) -> list[ColumnElement[bool]]:
    activity, agent = _set_columns(documents)
    conditions = [
        Document.kind == documents.kind.value,
        Document.activity_key == activity,
        Document.agent_key == agent,
    ]
    if documents.registration is not None:
        conditions.append(Document.registration == documents.registration)
    return conditions


def _address(documents: DocumentSet, document_id: str) -> list[ColumnElement[bool]]:
    activity, agent = _set_columns(documents)
    return [
        Document.kind == documents.kind.value,
        Document.activity_key == activity,
        Document.agent_key == agent,
        Document.registration == (documents.registration or ""),
        Document.document_key == index_key(document_id),
    ]


def _locked(session: Session, documents: DocumentSet, document_id: str) -> Document | None:
    """The row at the address, locked until the transaction ends (FOR UPDATE is a no-op on
    SQLite, where the transaction already holds the write lock)."""
    return session.scalars(
        select(Document).where(*_address(documents, document_id)).with_for_update()
    ).first()


def _save(
    session: Session,
    documents: DocumentSet,
    document_id: str,
    row: Document | None,
    *,
    content: bytes,
    content_type: str,
) -> DocumentVersion:
    now = utcnow()
    if row is None:
        activity, agent = _set_columns(documents)
        row = Document(
            kind=documents.kind.value,
            activity_key=activity,
            agent_key=agent,
            registration=documents.registration or "",
            document_key=index_key(document_id),
            document_id=document_id,
        )
        session.add(row)
    elif now <= row.updated:
        # Last-Modified must move forward on every change, whatever the clocks of two
        # workers say.
        now = row.updated + timedelta(microseconds=1)
    row.content = content
    row.content_type = content_type or DEFAULT_CONTENT_TYPE
    row.etag = etag_of(content)
    row.updated = now
    session.flush()
    return DocumentVersion(etag=row.etag, updated=now)


def _in_transaction(use_case: Callable[[Session], T]) -> T:
    for attempt in range(WRITE_RETRIES):
        try:
            with unit_of_work() as session:
                return use_case(session)
        except IntegrityError:
            if attempt == WRITE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
