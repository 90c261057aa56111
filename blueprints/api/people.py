"""The ASN directory and LMS identity mappings: one person at a time, or a whole CSV file."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import NotFound, UnsupportedMediaType

from blueprints.api import ApiBlueprint
from blueprints.api.schemas import (
    IdentityImportResultSchema,
    PeopleImportResultSchema,
    PeoplePageSchema,
    PeopleQuery,
    PersonBody,
    PersonSchema,
)
from lms_bridge.access.api_scopes import CREDIT_READ, PEOPLE_WRITE
from lms_bridge.credit import current_policy, rematch_actors, rematch_email_actors
from lms_bridge.db import db
from lms_bridge.models import Person
from lms_bridge.people import (
    get_person,
    import_actor_mappings,
    import_people,
    list_people,
    rows_from_bytes,
    upsert_person,
)

CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
READ_PEOPLE = (CREDIT_READ, PEOPLE_WRITE)
"""Who may read the directory: those who keep it, and those who read credit (which names people)."""

bp = ApiBlueprint(
    "people",
    __name__,
    description="Direktori ASN dan pemetaan identitas LMS (the ASN directory, identity mappings).",
)


def _csv_body(english: str, indonesian: str) -> dict[str, Any]:
    """A CSV request body with a file of each heading language as its examples."""
    examples = {
        "english": {"summary": "English headings", "value": english},
        "indonesia": {"summary": "Judul kolom bahasa Indonesia", "value": indonesian},
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "examples": examples}},
        }
    }


def _csv_rows() -> list[dict[str, str]]:
    """The rows of the CSV request body (UTF-8, ``,`` or ``;``), as the CLI reads a file.

    A body that is not UTF-8 or not readable CSV raises CsvUnreadable: 400 naming the line.
    """
    if request.mimetype not in CSV_TYPES:
        raise UnsupportedMediaType(
            "kirim berkas CSV dengan Content-Type: text/csv (send the CSV as text/csv)"
        )
    return rows_from_bytes(request.get_data())


@bp.route(
    "/people",
    methods=["GET"],
    scopes=READ_PEOPLE,
    summary="Daftar ASN (people in the directory, by NIP)",
)
@bp.arguments(PeopleQuery, location="query")
@bp.response(200, PeoplePageSchema)
def people_page(query: dict[str, Any]) -> dict[str, Any]:
    """A page of people in NIP order; ``next_after`` continues it."""
    limit: int = query["limit"]
    people = list_people(db.session(), query.get("agency"), after=query.get("after"), limit=limit)
    return {
        "people": people,
        "next_after": people[-1].nip if len(people) == limit else None,
    }


@bp.route(
    "/people/<nip>",
    methods=["GET"],
    scopes=READ_PEOPLE,
    summary="Satu ASN (one person)",
)
@bp.response(200, PersonSchema)
@bp.alt_response(404, description="NIP tidak ada di direktori (not in the directory)")
def person(nip: str) -> Person:
    """The person with this NIP (spaces allowed)."""
    found = get_person(db.session(), nip)
    if found is None:
        raise NotFound("NIP tidak ada di direktori (no such NIP in the directory)")
    return found


@bp.route(
    "/people/<nip>",
    methods=["PUT"],
    scopes=(PEOPLE_WRITE,),
    summary="Simpan satu ASN (create or overwrite one person)",
)
@bp.arguments(PersonBody)
@bp.response(200, PersonSchema)
def put_person(body: dict[str, Any], nip: str) -> Person:
    """Create or overwrite the person; every wrong value is named (400).

    With an e-mail address, the LMS's ``mbox`` actors may now resolve to this person, so
    e-mail actors are matched again, as after a directory import.
    """
    person = upsert_person(nip, **body)
    if person.email:
        rematch_email_actors(current_policy())
    return person


@bp.route(
    "/people/import",
    methods=["POST"],
    scopes=(PEOPLE_WRITE,),
    summary="Impor direktori dari CSV (import the directory from a CSV file)",
)
@bp.doc(
    **_csv_body(
        "nip,name,agency,unit,position,email,employment\n"
        "198503302010121002,Siti Aminah,BPSDM Provinsi Lampung,Bidang Diklat,,"
        "siti@example.go.id,PNS\n",
        "nip;nama;instansi;unit_kerja;jabatan;email;status_kepegawaian\n"
        "198503302010121002;Siti Aminah;BPSDM Provinsi Lampung;Bidang Diklat;;"
        "siti@example.go.id;PNS\n",
    )
)
@bp.response(200, PeopleImportResultSchema)
def import_people_file() -> dict[str, Any]:
    """Store the file whole, or nothing with every (line, column, reason) (400).

    As ``lms-bridge people import`` does: when people changed, e-mail actors are matched
    again, since an address may now belong to someone (else).
    """
    result = import_people(_csv_rows())
    groups = rematch_email_actors(current_policy()) if result.changed_nips else 0
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "credit_groups_changed": groups,
    }


@bp.route(
    "/identities/import",
    methods=["POST"],
    scopes=(PEOPLE_WRITE,),
    summary="Impor pemetaan identitas LMS ke NIP (import LMS identity → NIP mappings)",
)
# The example maps two identities of the person in the directory import's example, so the
# examples work in order on an empty database (a mapping's NIP must be in the directory).
@bp.doc(
    **_csv_body(
        "homePage,account_name,mbox,nip\n"
        "https://lms.bpsdm.example.go.id,42,,198503302010121002\n"
        ",,mailto:siti.aminah@example.com,198503302010121002\n",
        "laman;nama_akun;surel;nip\n"
        "https://lms.bpsdm.example.go.id;42;;198503302010121002\n"
        ";;mailto:siti.aminah@example.com;198503302010121002\n",
    )
)
@bp.response(200, IdentityImportResultSchema)
def import_identities_file() -> dict[str, Any]:
    """Store the mappings, then credit the statements of every changed identity again.

    As ``lms-bridge identities import`` does: parked credit of those identities moves to the
    person they now map to, and credit of a remapped identity moves to its new owner.
    """
    result = import_actor_mappings(_csv_rows(), source="csv")
    groups = rematch_actors(result.actor_keys, current_policy()) if result.actor_keys else 0
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rematched_identities": len(result.actor_keys),
        "credit_groups_changed": groups,
    }
