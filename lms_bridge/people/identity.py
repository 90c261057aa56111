"""Whose statements these are: from an xAPI actor to the NIP that earns the credit.

An actor's identity is the string key xapi.identifiers.agent_key makes of it. A key resolves
to a NIP by the first of these routes that answers:

1. an **actor mapping**: an administrator said which NIP this LMS identity is (a Moodle user
   id, a personal e-mail address). It comes first because it is the one explicit decision,
   and it lets a wrong automatic match be corrected;
2. ``mbox:mailto:<email>`` → the person whose directory e-mail it is (case-insensitive);
3. ``mbox_sha1sum:<hex>`` → the person whose directory e-mail hashes to it;
4. ``account:<homePage> <name>`` where ``homePage`` is one of the configured NIP home pages
   (the agency's SIASN or LMS URL) and ``name`` is a valid NIP → that NIP, even when the
   person is not in the directory yet: the account says who it is, and the directory can be
   filled in later without re-crediting anything.

Home pages compare without a trailing slash and with scheme and host in lowercase (they are
case-insensitive by RFC 3986 §6.2.2.1; the path is not). A mapping, by contrast, matches the
actor key exactly, as the statements store it: that is what lets the credit module find the
statements a changed mapping concerns with one equality.

A mapping file is CSV with a heading line and the columns ``homePage``, ``account_name`` and
``nip`` (an LMS account → NIP), or ``mbox`` and ``nip`` (an e-mail address → NIP); a file may
mix both kinds of row. ``homePage`` and ``account_name`` must be written exactly as the LMS
sends them in ``actor.account``; ``mbox`` may be written with or without ``mailto:``. Every
NIP must already be in the directory. The Indonesian headings ``laman``, ``nama_akun`` and
``surel`` may stand for ``homePage``, ``account_name`` and ``mbox``. As with directory
files, a file with any problem is rejected whole and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import ActorMapping, Person
from lms_bridge.models.people import MAPPING_SOURCES
from lms_bridge.people.directory import check_email
from lms_bridge.people.nip import InvalidNip, is_nip, normalise_nip, parse_nip
from lms_bridge.people.queries import MAPPED_ACTORS, MAPPED_ACTORS_ALONG
from lms_bridge.people.records import (
    FIRST_ROW_LINE,
    RecordsRejected,
    RowProblem,
    read_rows,
)
from lms_bridge.sql.chunks import chunked
from lms_bridge.sql.driver import driver_rows
from lms_bridge.sql.keys import index_key
from lms_bridge.sql.read_along import ReadAlong

MAPPING_COLUMNS = ("homePage", "account_name", "mbox", "nip")
REQUIRED_COLUMNS = ("nip",)
INDONESIAN_COLUMNS = {"laman": "homePage", "nama_akun": "account_name", "surel": "mbox"}
"""Indonesian headings: laman (the LMS's home page), nama_akun (the account name), surel
(surat elektronik, the e-mail address); ``nip`` is the same in both."""


class MappingImportRejected(RecordsRejected):
    """A mapping file was refused whole; ``problems`` lists every (line, column, reason)."""


@dataclass(frozen=True)
class MappingImport:
    """What a mapping import did, and which actors' statements must be credited again."""

    created: int
    updated: int
    unchanged: int
    actor_keys: frozenset[str]
    """Actor keys (agent_key form, not index keys) whose mapping was created or changed."""


def canonical_home_page(iri: str) -> str:
    """``iri`` with scheme and host lowercased and trailing slashes removed, for comparison."""
    parts = urlsplit(iri.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def _check_home_page(value: str) -> str | None:
    """Why ``value`` cannot be an account's ``homePage`` (an absolute IRL), or ``None``."""
    if any(character.isspace() for character in value):
        return "homePage tidak boleh berisi spasi (homePage cannot contain spaces)"
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        return (
            "homePage harus URL lengkap, mis. https://lms.example.go.id "
            "(homePage must be an absolute URL)"
        )
    return None


def _actor_key(values: Mapping[str, str], line: int, problems: list[RowProblem]) -> str | None:
    """The agent_key of the identity a row names, or ``None`` after recording why not."""
    home_page = values.get("homePage", "")
    account_name = values.get("account_name", "")
    mbox = values.get("mbox", "")
    if mbox and (home_page or account_name):
        problems.append(
            RowProblem(
                line,
                "mbox",
                "isi homePage dan account_name, atau mbox, bukan keduanya "
                "(fill homePage and account_name, or mbox, not both)",
            )
        )
        return None
    if mbox:
        address = mbox[7:] if mbox[:7].lower() == "mailto:" else mbox
        reason = check_email(address)
        if reason is not None:
            problems.append(RowProblem(line, "mbox", reason))
            return None
        return f"mbox:mailto:{address}"
    if not home_page and not account_name:
        problems.append(
            RowProblem(
                line,
                "homePage",
                "isi homePage dan account_name, atau mbox (fill homePage and account_name, "
                "or mbox)",
            )
        )
        return None
    found = len(problems)
    if not home_page:
        problems.append(RowProblem(line, "homePage", "wajib diisi (required)"))
    else:
        reason = _check_home_page(home_page)
        if reason is not None:
            problems.append(RowProblem(line, "homePage", reason))
    if not account_name:
        problems.append(RowProblem(line, "account_name", "wajib diisi (required)"))
    if len(problems) > found:
        return None
    # The same string xapi.identifiers.agent_key builds for {"homePage": …, "name": …}.
    return f"account:{home_page} {account_name}"


def import_actor_mappings(
    rows: Iterable[Mapping[str, str]],
    *,
    source: str = "csv",
    first_line: int = FIRST_ROW_LINE,
    actor: str = "cli",
) -> MappingImport:
    """Store a mapping file whole, or raise :class:`MappingImportRejected` and store nothing.

    Returns the actor keys whose NIP is new or different, so their statements can be credited
    to the right person (lms_bridge.credit). Each new or changed mapping is written to the
    audit trail as ``actor`` did it.
    """
    if source not in MAPPING_SOURCES:
        raise ValueError(f"unknown mapping source {source!r}")
    read, problems = read_rows(
        rows,
        MAPPING_COLUMNS,
        REQUIRED_COLUMNS,
        rejected=MappingImportRejected,
        first_line=first_line,
        other_names=INDONESIAN_COLUMNS,
    )
    wanted: dict[str, str] = {}
    line_of_key: dict[str, int] = {}
    lines_of_nip: dict[str, list[int]] = {}
    for line, values in read:
        key = _actor_key(values, line, problems)
        nip: str | None = None
        raw_nip = values.get("nip", "")
        if not raw_nip:
            problems.append(RowProblem(line, "nip", "wajib diisi (required)"))
        else:
            try:
                nip = parse_nip(raw_nip).nip
            except InvalidNip as error:
                problems.append(RowProblem(line, "nip", error.reason))
        if key is None or nip is None:
            continue
        if key in line_of_key:
            first = line_of_key[key]
            problems.append(
                RowProblem(
                    line,
                    "mbox" if key.startswith("mbox:") else "account_name",
                    f"identitas ini sudah dipetakan di baris {first} "
                    f"(this identity is already mapped on line {first})",
                )
            )
            continue
        line_of_key[key] = line
        wanted[key] = nip
        lines_of_nip.setdefault(nip, []).append(line)

    with unit_of_work() as session:
        nips = list(lines_of_nip)
        known: set[str] = set()
        for chunk in chunked(nips):
            known.update(session.scalars(select(Person.nip).where(Person.nip.in_(chunk))))
        for nip in nips:
            if nip not in known:
                problems.extend(
                    RowProblem(
                        line,
                        "nip",
                        f"NIP {nip} tidak ada di direktori; impor orangnya dulu "
                        "(NIP not in the directory; import the person first)",
                    )
                    for line in lines_of_nip[nip]
                )
        if problems:
            raise MappingImportRejected(problems)

        created, updated, changed = _store_mappings(session, wanted, source, actor=actor)
    return MappingImport(
        created=created,
        updated=updated,
        unchanged=len(wanted) - created - updated,
        actor_keys=frozenset(changed),
    )


def _store_mappings(
    session: Session, wanted: Mapping[str, str], source: str, *, actor: str
) -> tuple[int, int, set[str]]:
    """Create or repoint the mappings of ``wanted`` (agent key → NIP of a known person),
    each written to the audit trail as ``actor`` did it.

    Returns how many were created and updated, and the agent keys whose NIP is new.
    """
    keys_by_index = {index_key(key): key for key in wanted}
    existing: dict[str, ActorMapping] = {}
    for chunk in chunked(list(keys_by_index)):
        for found in session.scalars(select(ActorMapping).where(ActorMapping.actor_key.in_(chunk))):
            existing[found.actor_key] = found
    now = utcnow()
    created = updated = 0
    changed: set[str] = set()
    for stored_key, key in keys_by_index.items():
        mapping = existing.get(stored_key)
        previous_nip = mapping.nip if mapping is not None else None
        if mapping is None:
            session.add(
                ActorMapping(
                    actor_key=stored_key,
                    nip=wanted[key],
                    source=source,
                    created_at=now,
                    updated_at=now,
                )
            )
            created += 1
        elif mapping.nip != wanted[key]:
            mapping.nip = wanted[key]
            mapping.source = source
            mapping.updated_at = now
            updated += 1
        else:
            continue
        changed.add(key)
        record_event(
            session,
            actor=actor,
            action="identity.map",
            subject_type="actor",
            subject_id=key,
            before={"nip": previous_nip} if previous_nip else None,
            after={"nip": wanted[key], "source": source},
        )
    session.flush()
    return created, updated, changed


def map_actor(session: Session, actor_key: str, nip: str, *, source: str, actor: str) -> bool:
    """Map one LMS identity (an agent key) to the NIP of a person in the directory.

    In the caller's transaction, so the credit can move in the same one; audited as
    ``actor`` did it. Returns whether the mapping is new or points somewhere new (the
    actor's credit must then be rematched).
    """
    if source not in MAPPING_SOURCES:
        raise ValueError(f"unknown mapping source {source!r}")
    _, _, changed = _store_mappings(session, {actor_key: nip}, source, actor=actor)
    return bool(changed)


@dataclass(frozen=True)
class MappingsRead:
    """The actor mappings of some actor index keys, read before they were needed."""

    keys: frozenset[str]
    """Every index key the read covered (unmapped ones included)."""
    nips: Mapping[str, str]
    """Index key → NIP, for the mapped ones."""


def mappings_along(actor_keys: Collection[str], name: str = "mappings") -> ReadAlong:
    """The mapping read that resolving these actors needs, for a single statement's insert
    to carry (lms_bridge.sql.read_along)."""
    return ReadAlong(name, MAPPED_ACTORS_ALONG, (sorted({index_key(key) for key in actor_keys}),))


def mappings_from_answer(read: ReadAlong, answer: Any) -> MappingsRead:
    """What :func:`mappings_along` read, from the insert's answer (a JSON array)."""
    [keys] = read.values
    return MappingsRead(frozenset(keys), {str(key): str(nip) for key, nip in answer})


def resolve_actors(
    session: Session,
    actor_keys: Collection[str],
    nip_home_pages: Collection[str],
    read: MappingsRead | None = None,
) -> dict[str, str]:
    """The NIP of each actor key that resolves (see the module docstring); others are absent.

    Runs on the statement ingestion hot path, inside the caller's transaction: one query for
    the mappings (on the driver: :mod:`lms_bridge.sql.driver`), none when ``read`` (made already,
    by a single statement's insert) covers every actor, and, when e-mail actors remain, one
    for the directory (more only beyond :data:`~lms_bridge.sql.chunks.IN_LIST_SIZE`
    distinct e-mail keys).
    """
    keys = set(actor_keys)
    if not keys:
        return {}
    resolved: dict[str, str] = {}

    keys_by_index: dict[str, list[str]] = {}
    for key in keys:
        keys_by_index.setdefault(index_key(key), []).append(key)
    if read is not None and read.keys.issuperset(keys_by_index):
        mapped: Iterable[tuple[str, str]] = read.nips.items()
    else:
        mapped = driver_rows(session, MAPPED_ACTORS, {"keys": list(keys_by_index)})
    for stored_key, nip in mapped:
        for key in keys_by_index.get(stored_key, ()):
            resolved[key] = nip

    home_pages = {canonical_home_page(home_page) for home_page in nip_home_pages}
    by_email: dict[str, list[str]] = {}
    by_sha1: dict[str, list[str]] = {}
    for key in keys - resolved.keys():
        kind, _, value = key.partition(":")
        if kind == "mbox" and value[:7].lower() == "mailto:":
            by_email.setdefault(value[7:].lower(), []).append(key)
        elif kind == "mbox_sha1sum":
            by_sha1.setdefault(value.lower(), []).append(key)
        elif kind == "account":
            # An IRL has no spaces, so the first one ends the homePage (see agent_key).
            home_page, _, name = value.partition(" ")
            if canonical_home_page(home_page) in home_pages and is_nip(name):
                resolved[key] = normalise_nip(name)

    owners: dict[str, set[str]] = {}
    for emails, hashes in zip_longest(chunked(list(by_email)), chunked(list(by_sha1))):
        conditions = []
        if emails:
            conditions.append(Person.email.in_(emails))
        if hashes:
            conditions.append(Person.email_sha1.in_(hashes))
        people = session.execute(
            select(Person.nip, Person.email, Person.email_sha1).where(or_(*conditions))
        )
        for nip, email, sha1 in people:
            for found in (f"email:{email}", f"sha1:{sha1}"):
                owners.setdefault(found, set()).add(nip)
    for lookups, prefix in ((by_email, "email:"), (by_sha1, "sha1:")):
        for value, waiting in lookups.items():
            nips = owners.get(prefix + value, set())
            # The directory keeps addresses unique; should two people share one anyway,
            # crediting either would be a guess, so the actor stays unresolved.
            if len(nips) == 1:
                (nip,) = nips
                for key in waiting:
                    resolved[key] = nip
    return resolved
