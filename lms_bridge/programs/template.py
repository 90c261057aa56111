"""Program templates: versioned YAML files, validated on load with path-named errors.

A template is data, not code (docs/domain.md, "Blended-learning programs"): the agency edits the
modules, their JP and their completion rules, raises ``version`` and imports the file
again. A file is refused whole when anything in it is wrong, and every problem is named by
its path (``modules[3].mode: …``) so the person editing it can find it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from string import Formatter
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms_bridge.data_files import DataFileError, load_yaml_mapping, read_data_file
from xapi.fields import is_iri

TEMPLATES_DIR = Path(__file__).parent / "templates"
MODES = ("elearning", "distance", "classical", "workplace")
DEFAULT_VERBS = (
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
)
DEFAULT_CERTIFICATE_NUMBER = "{seq:04d}/STTPL/{program}/{cohort_number}/{year}"
"""The STTPL number of a template that names no ``certificate_number`` pattern."""
CERTIFICATE_FIELDS = ("seq", "program", "cohort_number", "year")
CERTIFICATE_NUMBER_LENGTH = 200


def certificate_number(
    pattern: str, *, seq: int, program: str, cohort_number: int, year: int
) -> str:
    """A certificate's number: the pattern filled (``program`` is the code in capitals)."""
    return pattern.format(seq=seq, program=program.upper(), cohort_number=cohort_number, year=year)


class TemplateError(DataFileError):
    """A template file that cannot be used, with every problem found (path: reason)."""


@dataclass(frozen=True)
class ModuleTemplate:
    """One module as the template describes it."""

    code: str
    activity_id: str
    title: str
    mode: str
    nominal_jp: Decimal
    mandatory: bool
    verbs: tuple[str, ...]
    min_score: Decimal | None
    weight: Decimal


@dataclass(frozen=True)
class ProgramTemplate:
    """A validated template: what ``programs import`` stores as one program version."""

    code: str
    version: int
    name: str
    activity_base: str
    pass_threshold: Decimal
    jp_total: Decimal | None
    jp_total_confirmed: bool
    certificate_number: str
    """The STTPL number pattern (``{seq}``, ``{program}``, ``{cohort_number}``, ``{year}``)."""
    modules: tuple[ModuleTemplate, ...]
    definition: dict[str, Any]
    """The loaded file as JSON-compatible data (numbers as strings), stored for audit."""

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical definition: the same content gives the same digest."""
        canonical = json.dumps(self.definition, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _https_iri(value: str) -> None:
    if not (value.startswith("https://") and is_iri(value)):
        raise ValidationError(f"{value!r} bukan IRI https (is not an https IRI)")


def _certificate_pattern(value: str) -> None:
    """A pattern that names only known fields, counts with ``{seq}`` and fills cleanly."""
    try:
        names = {name for _, name, _, _ in Formatter().parse(value) if name is not None}
        unknown = sorted(names - set(CERTIFICATE_FIELDS))
        if unknown:
            raise ValidationError(
                f"kolom tidak dikenal {', '.join(unknown)}; yang dikenal: "
                f"{', '.join(CERTIFICATE_FIELDS)} (unknown fields)"
            )
        if "seq" not in names:
            raise ValidationError("harus memuat {seq} (must contain {seq})")
        longest = certificate_number(
            value, seq=999_999, program="x" * 50, cohort_number=9999, year=9999
        )
    except (ValueError, IndexError, KeyError) as error:
        raise ValidationError(f"pola tidak valid (not a valid pattern): {error}") from error
    if len(longest) > CERTIFICATE_NUMBER_LENGTH:
        raise ValidationError(
            f"nomor bisa lebih dari {CERTIFICATE_NUMBER_LENGTH} karakter "
            f"(a number could exceed {CERTIFICATE_NUMBER_LENGTH} characters)"
        )


def _score() -> fields.Decimal:
    return fields.Decimal(places=2, load_default=None, validate=validate.Range(min=0, max=100))


class CompletionSchema(Schema):
    verbs = fields.List(
        fields.String(validate=validate.Length(min=1)),
        load_default=lambda: list(DEFAULT_VERBS),
        validate=validate.Length(min=1),
    )
    min_score = _score()

    @validates_schema
    def _verbs_are_iris(self, data: dict[str, Any], **_: Any) -> None:
        wrong = [verb for verb in data.get("verbs", []) if not is_iri(verb)]
        if wrong:
            raise ValidationError(f"bukan IRI (not IRIs): {', '.join(wrong)}", "verbs")


class ModuleSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*$"))
    activity = fields.String(required=True, validate=_https_iri)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    nominal_jp = fields.Decimal(places=2, required=True, validate=validate.Range(min=0))
    mandatory = fields.Boolean(load_default=True)
    completion = fields.Nested(CompletionSchema, load_default=lambda: CompletionSchema().load({}))
    weight = fields.Decimal(places=2, load_default=Decimal(0), validate=validate.Range(min=0))


class FinalScoreSchema(Schema):
    method = fields.String(
        load_default="weighted_average", validate=validate.OneOf(["weighted_average"])
    )
    note = fields.String(load_default="")


class TemplateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,49}$"))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    activity_base = fields.String(required=True, validate=_https_iri)
    jp_total = fields.Decimal(places=2, load_default=None, validate=validate.Range(min=0))
    jp_total_confirmed = fields.Boolean(required=True)
    pass_threshold = fields.Decimal(
        places=2, load_default=Decimal(70), validate=validate.Range(min=0, max=100)
    )
    final_score = fields.Nested(FinalScoreSchema, load_default=lambda: FinalScoreSchema().load({}))
    certificate_number = fields.String(load_default=None, validate=_certificate_pattern)
    modules = fields.List(
        fields.Nested(ModuleSchema), required=True, validate=validate.Length(min=1)
    )


def _consistency(data: dict[str, Any]) -> list[str]:
    """Rules across fields: unique ids and activities, JP adding up to the declared total."""
    problems: list[str] = []
    ids: set[str] = set()
    activities: set[str] = set()
    for position, module in enumerate(data["modules"]):
        if module["id"] in ids:
            problems.append(f"modules[{position}].id: {module['id']!r} sudah dipakai (used twice)")
        if module["activity"] in activities:
            problems.append(
                f"modules[{position}].activity: aktivitas sudah dipakai modul lain "
                "(used by another module)"
            )
        ids.add(module["id"])
        activities.add(module["activity"])
    total = sum((module["nominal_jp"] for module in data["modules"]), Decimal(0))
    if data["jp_total"] is not None and total != data["jp_total"]:
        problems.append(
            f"modules: jumlah nominal_jp {total} tidak sama dengan jp_total {data['jp_total']} "
            f"(module JP add up to {total}, not {data['jp_total']})"
        )
    if data["jp_total_confirmed"] and data["jp_total"] is None:
        problems.append("jp_total: wajib bila jp_total_confirmed true (required when confirmed)")
    return problems


def _as_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(item) for item in value]
    return value


def parse_template(text: str, source: str = "template") -> ProgramTemplate:
    """Validate a template given as YAML text (raises :class:`TemplateError`)."""
    data = load_yaml_mapping(text, source, TemplateSchema(), TemplateError)
    problems = _consistency(data)
    if problems:
        raise TemplateError(source, problems)
    pattern = data.pop("certificate_number", None)
    if pattern is not None:  # absent stays absent: an older file keeps its digest
        data["certificate_number"] = pattern
    return ProgramTemplate(
        code=data["code"],
        version=data["version"],
        name=data["name"],
        activity_base=data["activity_base"].rstrip("/"),
        pass_threshold=data["pass_threshold"],
        jp_total=data["jp_total"],
        jp_total_confirmed=data["jp_total_confirmed"],
        certificate_number=pattern or DEFAULT_CERTIFICATE_NUMBER,
        modules=tuple(
            ModuleTemplate(
                code=module["id"],
                activity_id=module["activity"],
                title=module["title"],
                mode=module["mode"],
                nominal_jp=module["nominal_jp"],
                mandatory=module["mandatory"],
                verbs=tuple(module["completion"]["verbs"]),
                min_score=module["completion"]["min_score"],
                weight=module["weight"],
            )
            for module in data["modules"]
        ),
        definition=_as_json(data),
    )


def load_template(path: Path | str) -> ProgramTemplate:
    """Read and validate a template file."""
    file = Path(path)
    text = read_data_file(file, TemplateError)
    return parse_template(text, str(file))


def shipped_templates() -> list[Path]:
    """The template files shipped with lms_bridge (Latsar CPNS, PKP, PKA, PKN II)."""
    return sorted(TEMPLATES_DIR.glob("*.yaml"))
