"""The people who earn credit: NIPs, the ASN directory, and xAPI actors resolved to a NIP."""

from lms_bridge.people.directory import (
    PeopleImport,
    PeopleImportRejected,
    PersonRejected,
    get_person,
    import_people,
    list_agencies,
    list_people,
    upsert_person,
)
from lms_bridge.people.identity import (
    MappingImport,
    MappingImportRejected,
    import_actor_mappings,
    resolve_actors,
)
from lms_bridge.people.nip import InvalidNip, Nip, is_nip, parse_nip
from lms_bridge.people.records import RecordsRejected, RowProblem, rows_from_csv

__all__ = [
    "InvalidNip",
    "MappingImport",
    "MappingImportRejected",
    "Nip",
    "PeopleImport",
    "PeopleImportRejected",
    "PersonRejected",
    "RecordsRejected",
    "RowProblem",
    "get_person",
    "import_actor_mappings",
    "import_people",
    "is_nip",
    "list_agencies",
    "list_people",
    "parse_nip",
    "resolve_actors",
    "rows_from_csv",
    "upsert_person",
]
