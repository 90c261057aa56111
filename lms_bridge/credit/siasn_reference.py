"""SIASN's 25 ``jenisDiklat`` codes, read from data (lms_bridge/policies/siasn-jenis-diklat.yaml).

The list is the public SIASN client SDK's snapshot, not an official publication (domain.md,
"SIASN training codes and the export row"), so it lives in a file an agency can update. The
policy maps each rule's form to one of these codes and is refused when a code is unknown or
sits on the other path (a nonklasikal rule cannot export as code 9, Seminar).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from lms_bridge.data_files import DataFileError, load_yaml_mapping

REFERENCE_FILE = Path(__file__).resolve().parents[1] / "policies" / "siasn-jenis-diklat.yaml"


@dataclass(frozen=True)
class JenisDiklat:
    """One SIASN training type."""

    id: int
    name: str
    path: str


class _CodeSchema(Schema):
    id = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))
    path = fields.String(required=True, validate=validate.OneOf(["klasikal", "nonklasikal"]))


class _ReferenceSchema(Schema):
    version = fields.String(required=True)
    codes = fields.List(fields.Nested(_CodeSchema), required=True, validate=validate.Length(min=1))


def parse_reference(text: str, source: str = "jenis-diklat") -> dict[int, JenisDiklat]:
    """The codes of a reference file, by id (DataFileError when a code repeats)."""
    data: dict[str, Any] = load_yaml_mapping(text, source, _ReferenceSchema(), DataFileError)
    codes: dict[int, JenisDiklat] = {}
    for position, raw in enumerate(data["codes"]):
        if raw["id"] in codes:
            raise DataFileError(source, [f"codes[{position}].id: {raw['id']} is listed twice"])
        codes[raw["id"]] = JenisDiklat(raw["id"], raw["name"], raw["path"])
    return codes


@cache
def jenis_diklat() -> dict[int, JenisDiklat]:
    """The shipped reference (read once per process)."""
    return parse_reference(REFERENCE_FILE.read_text(encoding="utf-8"), str(REFERENCE_FILE))
