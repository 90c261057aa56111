"""The ASN directory: who the agency's learners are, imported from a file or kept through the API.

A directory file is CSV with a heading line and these columns (headings in any case; ``,`` or
``;`` as separator; UTF-8, with or without a byte-order mark):

==========  ========  =====================================================================
column      required  meaning
==========  ========  =====================================================================
nip         yes       the 18-digit NIP or NI PPPK; the printed form with spaces is accepted
name        yes       the person's name as it should appear on reports
agency      yes       instansi (e.g. "Pemerintah Provinsi Lampung")
unit        yes       unit kerja / OPD (e.g. "Dinas Pendidikan")
position    no        jabatan
email       no        the e-mail address the LMS knows; lets ``mbox`` actors be recognised
employment  yes       ``PNS``, ``CPNS`` or ``PPPK``
==========  ========  =====================================================================

The Indonesian headings of an agency's own spreadsheet are accepted as well: ``nama``,
``instansi``, ``unit_kerja``, ``jabatan``, ``status_kepegawaian`` (``nip`` and ``email`` are
the same in both). A file may use either name for a column, but not both.

A file is stored whole or not at all: every row is checked first, and any problem rejects the
file with the list of (line, column, reason). Rows are matched to the directory by NIP: a new
NIP is created, a known one is overwritten with the row (an empty ``position`` or ``email``
clears it: the file is the truth for the people it names), and people the file does not name
are left as they are.

An e-mail address identifies one person: two people with one address would make an e-mail
actor's credit go to whichever was found first, so such a file is rejected instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import Person
from lms_bridge.models.people import EMPLOYMENT_KINDS
from lms_bridge.people.nip import InvalidNip, normalise_nip, parse_nip
from lms_bridge.people.records import (
    FIRST_ROW_LINE,
    RecordsRejected,
    RowProblem,
    read_rows,
)
from lms_bridge.sql.chunks import chunked

PEOPLE_COLUMNS = ("nip", "name", "agency", "unit", "position", "email", "employment")
REQUIRED_COLUMNS = ("nip", "name", "agency", "unit", "employment")
INDONESIAN_COLUMNS = {
    "nama": "name",
    "instansi": "agency",
    "unit_kerja": "unit",
    "jabatan": "position",
    "status_kepegawaian": "employment",
}
"""The headings an agency's own spreadsheet uses (``nip`` and ``email`` are the same)."""
TEXT_LENGTH = 200
EMAIL_LENGTH = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class PeopleImportRejected(RecordsRejected):
    """A directory file was refused whole; ``problems`` lists every (line, column, reason)."""


class PersonRejected(RecordsRejected):
    """One person's record was refused; ``problems`` lists every (column, reason)."""


@dataclass(frozen=True)
class PeopleImport:
    """What an import did, in counts, and which NIPs now read differently."""

    created: int
    updated: int
    unchanged: int
    changed_nips: frozenset[str]
    """NIPs created or updated: their e-mail may now resolve actors it did not before."""


@dataclass(frozen=True)
class PersonRecord:
    """A person's values, checked and normalised, ready to be stored."""

    nip: str
    name: str
    agency: str
    unit: str
    position: str | None
    email: str | None
    employment: str


def email_sha1sum(email: str) -> str:
    """The xAPI ``mbox_sha1sum`` of an address: SHA-1 hex of ``mailto:<email>`` (Data 2.4.2.3)."""
    return hashlib.sha1(f"mailto:{email}".encode(), usedforsecurity=False).hexdigest()


def normalise_email(value: str) -> str:
    """An address as the directory stores it: trimmed, lowercased, without ``mailto:``."""
    text = value.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.lower()


def check_email(value: str) -> str | None:
    """Why ``value`` is not an e-mail address the directory can store, or ``None``."""
    if len(value) > EMAIL_LENGTH:
        return f"paling banyak {EMAIL_LENGTH} karakter (at most {EMAIL_LENGTH} characters)"
    if not _EMAIL.match(value):
        return "alamat e-mail tidak sah (not a valid e-mail address)"
    return None


def _text(
    values: Mapping[str, str], column: str, line: int | None, problems: list[RowProblem]
) -> str | None:
    """A free-text value with inner whitespace collapsed; ``None`` when empty."""
    text = " ".join(values.get(column, "").split())
    if not text:
        if column in REQUIRED_COLUMNS:
            problems.append(RowProblem(line, column, "wajib diisi (required)"))
        return None
    if len(text) > TEXT_LENGTH:
        problems.append(
            RowProblem(
                line,
                column,
                f"paling banyak {TEXT_LENGTH} karakter (at most {TEXT_LENGTH} characters)",
            )
        )
        return None
    return text


def check_person(
    values: Mapping[str, str], line: int | None = None
) -> tuple[PersonRecord | None, list[RowProblem]]:
    """Check one person's values: the record when all are right, else every problem found."""
    problems: list[RowProblem] = []
    nip: str | None = None
    raw_nip = values.get("nip", "")
    if not raw_nip.strip():
        problems.append(RowProblem(line, "nip", "wajib diisi (required)"))
    else:
        try:
            nip = parse_nip(raw_nip).nip
        except InvalidNip as error:
            problems.append(RowProblem(line, "nip", error.reason))
    name = _text(values, "name", line, problems)
    agency = _text(values, "agency", line, problems)
    unit = _text(values, "unit", line, problems)
    position = _text(values, "position", line, problems)
    email = normalise_email(values.get("email", "")) or None
    if email is not None:
        reason = check_email(email)
        if reason is not None:
            problems.append(RowProblem(line, "email", reason))
    employment = values.get("employment", "").strip().upper()
    if not employment:
        problems.append(RowProblem(line, "employment", "wajib diisi (required)"))
    elif employment not in EMPLOYMENT_KINDS:
        problems.append(
            RowProblem(
                line,
                "employment",
                "harus PNS, CPNS atau PPPK (employment must be PNS, CPNS or PPPK)",
            )
        )
    if problems or nip is None or name is None or agency is None or unit is None:
        return None, problems
    return PersonRecord(nip, name, agency, unit, position, email, employment), problems


def _people_by_nip(session: Session, nips: Sequence[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for chunk in chunked(nips):
        for person in session.scalars(select(Person).where(Person.nip.in_(chunk))):
            found[person.nip] = person
    return found


def _owners_of(session: Session, emails: Sequence[str]) -> dict[str, list[str]]:
    """For each address, the NIPs that hold it now."""
    owners: dict[str, list[str]] = {}
    for chunk in chunked(emails):
        rows = session.execute(select(Person.email, Person.nip).where(Person.email.in_(chunk)))
        for email, nip in rows:
            if email is not None:
                owners.setdefault(email, []).append(nip)
    return owners


def _write(person: Person, record: PersonRecord) -> bool:
    """Copy ``record`` onto ``person``; whether anything changed."""
    wanted = {
        "name": record.name,
        "agency": record.agency,
        "unit": record.unit,
        "position": record.position,
        "email": record.email,
        "email_sha1": None if record.email is None else email_sha1sum(record.email),
        "employment": record.employment,
    }
    changed = False
    for attribute, value in wanted.items():
        if getattr(person, attribute) != value:
            setattr(person, attribute, value)
            changed = True
    return changed


def import_people(
    rows: Iterable[Mapping[str, str]], *, first_line: int = FIRST_ROW_LINE
) -> PeopleImport:
    """Store a directory file whole, or raise :class:`PeopleImportRejected` and store nothing.

    ``rows`` are the file's rows after its heading (e.g. :func:`rows_from_csv`); the first is
    reported as line ``first_line``.
    """
    read, problems = read_rows(
        rows,
        PEOPLE_COLUMNS,
        REQUIRED_COLUMNS,
        rejected=PeopleImportRejected,
        first_line=first_line,
        other_names=INDONESIAN_COLUMNS,
    )
    records: list[PersonRecord] = []
    line_of_nip: dict[str, int] = {}
    line_of_email: dict[str, int] = {}
    for line, values in read:
        record, row_problems = check_person(values, line)
        problems.extend(row_problems)
        if record is None:
            continue
        if record.nip in line_of_nip:
            problems.append(
                RowProblem(
                    line,
                    "nip",
                    f"NIP sudah ada di baris {line_of_nip[record.nip]} "
                    f"(duplicate of line {line_of_nip[record.nip]})",
                )
            )
            continue
        line_of_nip[record.nip] = line
        if record.email is not None:
            if record.email in line_of_email:
                first = line_of_email[record.email]
                problems.append(
                    RowProblem(
                        line,
                        "email",
                        f"e-mail sudah dipakai di baris {first} "
                        f"(e-mail already used on line {first})",
                    )
                )
                continue
            line_of_email[record.email] = line
        records.append(record)

    with unit_of_work() as session:
        for email, nips in _owners_of(session, list(line_of_email)).items():
            for owner in nips:
                # An owner named in the file gives the address up (or keeps it) by its row.
                if owner not in line_of_nip:
                    problems.append(
                        RowProblem(
                            line_of_email[email],
                            "email",
                            f"e-mail sudah dipakai NIP {owner} di direktori "
                            f"(e-mail already used by NIP {owner} in the directory)",
                        )
                    )
        if problems:
            raise PeopleImportRejected(problems)
        existing = _people_by_nip(session, list(line_of_nip))
        now = utcnow()
        created = updated = 0
        changed: set[str] = set()
        for record in records:
            person = existing.get(record.nip)
            if person is None:
                person = Person(nip=record.nip, created_at=now, updated_at=now)
                _write(person, record)
                session.add(person)
                created += 1
            elif _write(person, record):
                person.updated_at = now
                updated += 1
            else:
                continue
            changed.add(record.nip)
        session.flush()
    return PeopleImport(
        created=created,
        updated=updated,
        unchanged=len(records) - created - updated,
        changed_nips=frozenset(changed),
    )


def upsert_person(
    nip: str,
    *,
    name: str,
    agency: str,
    unit: str,
    employment: str,
    position: str | None = None,
    email: str | None = None,
) -> Person:
    """Create or overwrite one person (the API's counterpart of a one-row file).

    Raises :class:`PersonRejected` with every (column, reason) when a value is wrong or the
    address belongs to someone else.
    """
    values = {
        "nip": nip,
        "name": name,
        "agency": agency,
        "unit": unit,
        "employment": employment,
        "position": position or "",
        "email": email or "",
    }
    record, problems = check_person(values)
    if record is None:
        raise PersonRejected(problems)
    with unit_of_work() as session:
        if record.email is not None:
            owners = _owners_of(session, [record.email]).get(record.email, [])
            others = [owner for owner in owners if owner != record.nip]
            if others:
                raise PersonRejected(
                    [
                        RowProblem(
                            None,
                            "email",
                            f"e-mail sudah dipakai NIP {others[0]} di direktori "
                            f"(e-mail already used by NIP {others[0]} in the directory)",
                        )
                    ]
                )
        now = utcnow()
        person = session.get(Person, record.nip)
        if person is None:
            person = Person(nip=record.nip, created_at=now, updated_at=now)
            _write(person, record)
            session.add(person)
        elif _write(person, record):
            person.updated_at = now
        session.flush()
    return person


def get_person(session: Session, nip: str) -> Person | None:
    """The person with this NIP (spaces allowed), or ``None``."""
    return session.get(Person, normalise_nip(nip))


def list_people(
    session: Session,
    agency: str | None = None,
    *,
    unit: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[Person]:
    """People in NIP order, optionally of one agency (and unit), a page at a time.

    ``after`` is the last NIP of the previous page: keyset paging stays fast however deep
    the page, which offsets do not. Agency and unit match exactly, as the directory spells
    them.
    """
    query = select(Person).order_by(Person.nip).limit(limit)
    if agency is not None:
        query = query.where(Person.agency == agency)
    if unit is not None:
        query = query.where(Person.unit == unit)
    if after is not None:
        query = query.where(Person.nip > normalise_nip(after))
    return list(session.scalars(query))


def list_agencies(session: Session) -> list[str]:
    """Every agency the directory names, sorted (what an admin's pages can show)."""
    return list(session.scalars(select(Person.agency).distinct().order_by(Person.agency)))
