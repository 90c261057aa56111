"""The JP policy: how an agency turns xAPI evidence into competency-development hours.

No national table converts every non-classical activity into JP (docs/domain.md, "How credit is
counted"), so every number lives in a versioned YAML file that an agency edits, never in
code. The file is validated on load; an error names the path of the offending value, e.g.
``rules[2].jp.max_jp: must be greater than 0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import translate
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms_bridge.credit.siasn_reference import jenis_diklat
from lms_bridge.data_files import DataFileError, load_yaml_mapping, read_data_file
from xapi.fields import is_iri

DEFAULT_POLICY_FILE = Path(__file__).resolve().parents[1] / "policies" / "jp-policy.yaml"

Path_ = Literal["klasikal", "nonklasikal"]
Rounding = Literal["down", "half-up", "up"]
Method = Literal["fixed", "duration", "nominal"]
NoDuration = Literal["nominal", "fixed", "review", "none"]


class PolicyError(DataFileError):
    """The policy file cannot be used; ``problems`` lists each offending path and reason."""


@dataclass(frozen=True)
class Match:
    """Which statements a rule applies to. Every given criterion must hold."""

    verbs: frozenset[str]
    activity_types: frozenset[str] = frozenset()
    activity_ids: tuple[re.Pattern[str], ...] = ()
    context_activities: tuple[re.Pattern[str], ...] = ()
    extensions: tuple[tuple[str, Any], ...] = ()
    completion: bool | None = None
    success: bool | None = None


@dataclass(frozen=True)
class JpRule:
    """How a matched statement becomes JP."""

    method: Method
    fixed_jp: Decimal | None = None
    max_jp: Decimal | None = None
    minimum_minutes: Decimal = Decimal(0)
    when_no_duration: NoDuration = "review"
    fallback_jp: Decimal | None = None
    daily_cap_jp: Decimal | None = None


@dataclass(frozen=True)
class Rule:
    """One line of the agency's conversion table."""

    id: str
    title: str
    form: str
    path: Path_
    matches: tuple[Match, ...]
    jp: JpRule
    auto_verified: bool
    siasn_jenis_diklat: int | None = None
    """SIASN's ``jenisDiklatId`` for this rule's credit (the rule's own, else its form's)."""


@dataclass(frozen=True)
class CatalogueEntry:
    """An activity's nominal JP, for rules that credit the catalogue value."""

    activity_id: str
    title: str
    nominal_jp: Decimal


@dataclass(frozen=True)
class SiasnExport:
    """How credit becomes SIASN "kursus" rows (domain.md, "SIASN training codes")."""

    organiser: str = "BPSDM"
    """``institusiPenyelenggara`` of every row: the agency that runs the LMS."""
    rounding: Rounding = "down"
    """How a record's fractional JP become SIASN's integer ``jumlahJam`` (per record)."""


@dataclass(frozen=True)
class Policy:
    """A whole policy file, validated."""

    version: str
    name: str
    minutes_per_jp: Decimal
    rounding_step: Decimal
    time_zone: ZoneInfo
    daily_cap_jp: Decimal
    yearly_target_jp: Decimal
    nip_home_pages: tuple[str, ...]
    rules: tuple[Rule, ...]
    catalogue: dict[str, CatalogueEntry] = field(default_factory=dict)
    pppk_ceiling_jp: Decimal | None = None
    """PP 49/2018 art. 40: at most this many JP per contract year for PPPK (a flag, not a cap)."""
    siasn: SiasnExport = field(default_factory=SiasnExport)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if the policy has none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# --- the file's schema -----------------------------------------------------------------


def _positive() -> fields.Decimal:
    return fields.Decimal(
        required=True, places=2, validate=validate.Range(min=0, min_inclusive=False)
    )


def _iri(value: str) -> None:
    if not is_iri(value):
        raise ValidationError(f"{value!r} is not an absolute IRI")


class OneOrMany(fields.Field[list[dict[str, Any]]]):
    """A match block, or a list of them (any may match)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValidationError("give at least one match block")
        schema = MatchSchema()
        loaded = []
        errors: dict[int, Any] = {}
        for position, item in enumerate(items):
            try:
                loaded.append(schema.load(item))
            except ValidationError as error:
                errors[position] = error.messages
        if errors:
            raise ValidationError(errors)
        return loaded


class MatchSchema(Schema):
    verbs = fields.List(
        fields.String(validate=_iri), required=True, validate=validate.Length(min=1)
    )
    activity_types = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    activity_ids = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    context_activities = fields.List(
        fields.String(validate=validate.Length(min=1)), load_default=list
    )
    extensions = fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict
    )
    completion = fields.Boolean(load_default=None)
    success = fields.Boolean(load_default=None)


class JpSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(["fixed", "duration", "nominal"]))
    fixed_jp = fields.Decimal(places=2, load_default=None, validate=validate.Range(min=0))
    max_jp = fields.Decimal(
        places=2, load_default=None, validate=validate.Range(min=0, min_inclusive=False)
    )
    minimum_minutes = fields.Decimal(
        places=2, load_default=Decimal(0), validate=validate.Range(min=0)
    )
    when_no_duration = fields.String(
        load_default="review", validate=validate.OneOf(["nominal", "fixed", "review", "none"])
    )
    fallback_jp = fields.Decimal(places=2, load_default=None, validate=validate.Range(min=0))
    daily_cap_jp = fields.Decimal(
        places=2, load_default=None, validate=validate.Range(min=0, min_inclusive=False)
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if data["method"] == "fixed" and data.get("fixed_jp") is None:
            raise ValidationError("method fixed needs fixed_jp", "fixed_jp")
        needs_fallback = data["method"] == "duration" and data["when_no_duration"] == "fixed"
        if needs_fallback and data.get("fallback_jp") is None:
            raise ValidationError("when_no_duration: fixed needs fallback_jp", "fallback_jp")


class RuleSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*$"))
    title = fields.String(required=True, validate=validate.Length(min=1))
    form = fields.String(required=True, validate=validate.Length(min=1))
    path = fields.String(required=True, validate=validate.OneOf(["klasikal", "nonklasikal"]))
    match = OneOrMany(required=True)
    jp = fields.Nested(JpSchema, required=True)
    auto_verified = fields.Boolean(load_default=None)
    siasn_jenis_diklat = fields.Integer(load_default=None)


class SiasnSchema(Schema):
    organiser = fields.String(load_default="BPSDM", validate=validate.Length(min=1))
    rounding = fields.String(
        load_default="down", validate=validate.OneOf(["down", "half-up", "up"])
    )
    jenis_diklat_by_form = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.Integer(),
        load_default=dict,
    )


class CatalogueSchema(Schema):
    activity = fields.String(required=True, validate=validate.Length(min=1))
    title = fields.String(required=True)
    nominal_jp = fields.Decimal(places=2, required=True, validate=validate.Range(min=0))


class PolicySchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)
    minutes_per_jp = _positive()
    rounding_step = _positive()
    time_zone = fields.String(required=True)
    daily_cap_jp = _positive()
    yearly_target_jp = _positive()
    pppk_ceiling_jp = fields.Decimal(
        places=2, load_default=None, validate=validate.Range(min=0, min_inclusive=False)
    )
    nip_home_pages = fields.List(fields.String(validate=_iri), load_default=list)
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(min=1))
    catalogue = fields.List(fields.Nested(CatalogueSchema), load_default=list)
    siasn = fields.Nested(SiasnSchema, load_default=lambda: SiasnSchema().load({}))


def _glob(pattern: str) -> re.Pattern[str]:
    """Shell-style patterns (``https://lms.example.id/mod/*``) are what agencies can edit."""
    return re.compile(translate(pattern))


def _build(data: dict[str, Any], source: str) -> Policy:
    problems: list[str] = []
    try:
        time_zone = ZoneInfo(data["time_zone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time_zone: unknown time zone {data['time_zone']!r} (e.g. Asia/Jakarta)")
        time_zone = ZoneInfo("UTC")
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, raw in enumerate(data["rules"]):
        if raw["id"] in seen:
            problems.append(
                f"rules[{raw['id']}].id: sudah dipakai aturan sebelumnya (is used by an earlier "
                f"rule; this is rule number {position + 1})"
            )
        seen.add(raw["id"])
        auto = raw["auto_verified"]
        rules.append(
            Rule(
                id=raw["id"],
                title=raw["title"],
                form=raw["form"],
                path=raw["path"],
                matches=tuple(
                    Match(
                        verbs=frozenset(match["verbs"]),
                        activity_types=frozenset(match["activity_types"]),
                        activity_ids=tuple(_glob(p) for p in match["activity_ids"]),
                        context_activities=tuple(_glob(p) for p in match["context_activities"]),
                        extensions=tuple(sorted(match["extensions"].items())),
                        completion=match["completion"],
                        success=match["success"],
                    )
                    for match in raw["match"]
                ),
                jp=JpRule(**raw["jp"]),
                # Domain rule: non-classical credit waits for an auditor unless marked.
                auto_verified=auto if auto is not None else raw["path"] == "klasikal",
                siasn_jenis_diklat=raw["siasn_jenis_diklat"]
                if raw["siasn_jenis_diklat"] is not None
                else data["siasn"]["jenis_diklat_by_form"].get(raw["form"]),
            )
        )
    problems += _siasn_problems(data, rules)
    catalogue = {
        item["activity"]: CatalogueEntry(item["activity"], item["title"], item["nominal_jp"])
        for item in data["catalogue"]
    }
    if problems:
        raise PolicyError(source, problems)
    return Policy(
        version=data["version"],
        name=data["name"],
        minutes_per_jp=data["minutes_per_jp"],
        rounding_step=data["rounding_step"],
        time_zone=time_zone,
        daily_cap_jp=data["daily_cap_jp"],
        yearly_target_jp=data["yearly_target_jp"],
        nip_home_pages=tuple(data["nip_home_pages"]),
        rules=tuple(rules),
        catalogue=catalogue,
        pppk_ceiling_jp=data["pppk_ceiling_jp"],
        siasn=SiasnExport(organiser=data["siasn"]["organiser"], rounding=data["siasn"]["rounding"]),
    )


def _siasn_problems(data: dict[str, Any], rules: list[Rule]) -> list[str]:
    """Every SIASN code must exist in the reference and sit on its rule's path."""
    codes = jenis_diklat()
    problems: list[str] = []
    forms = {rule.form: rule.path for rule in rules}

    def check(where: str, code: int, path: str) -> None:
        known = codes.get(code)
        if known is None:
            problems.append(f"{where}: {code} is not a SIASN jenisDiklat code (1-{max(codes)})")
        elif known.path != path:
            problems.append(
                f"{where}: {code} ({known.name}) is a {known.path} code, the rule is {path}"
            )

    for form, code in data["siasn"]["jenis_diklat_by_form"].items():
        where = f"siasn.jenis_diklat_by_form.{form}"
        if form not in forms:
            problems.append(f"{where}: no rule has the form {form!r}")
        else:
            check(where, code, forms[form])
    for position, (raw, rule) in enumerate(zip(data["rules"], rules, strict=True)):
        if raw["siasn_jenis_diklat"] is not None:
            check(f"rules[{position}].siasn_jenis_diklat", raw["siasn_jenis_diklat"], rule.path)
    return problems


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Validate a policy given as YAML text."""
    return _build(
        load_yaml_mapping(text, source, PolicySchema(), PolicyError, items_by_id=("rules",)), source
    )


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file (the shipped default when ``path`` is None)."""
    file = Path(path) if path else DEFAULT_POLICY_FILE
    text = read_data_file(file, PolicyError)
    return parse_policy(text, str(file))
