"""An estimate of a person's IP ASN competency dimension from their verified credit.

Peraturan BKN 8/2019 scores the competency dimension (40 of the index's 100) from training
history, with weights that depend on the job type (domain.md, "IP ASN competency-dimension
estimate"). The weights, the items' credit and the time window live in a YAML file beside
the JP policy (lms_bridge/policies/ipasn-competency.yaml), never in code. Only *verified*
credit counts; pending credit is reported beside each item so an agency sees what verifying
it would change. The result is an estimate, never BKN's score: BKN scores from SIASN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fnmatch import translate
from functools import cache
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_bridge.data_files import DataFileError, load_yaml_mapping
from lms_bridge.models import Cohort, CreditEntry, Enrollment, Program

WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "policies" / "ipasn-competency.yaml"
ITEMS = ("leadership", "functional", "technical", "seminar")
JOB_TYPES = ("structural", "functional", "pelaksana")


class WeightsError(DataFileError):
    """The weights file cannot be used; ``problems`` names each path and reason."""


@dataclass(frozen=True)
class ItemCredit:
    """What fulfils one item: a passed cohort of these programs, or verified JP of these forms."""

    programs: frozenset[str]
    forms: frozenset[str]


@dataclass(frozen=True)
class CompetencyWeights:
    """A whole weights file, validated."""

    version: str
    dimension_max: Decimal
    window_years: int
    technical_min_jp: Decimal
    items: dict[str, ItemCredit]
    job_types: dict[str, dict[str, Decimal]]
    position_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    default_job_type: str

    def job_type_of(self, position: str | None) -> str:
        """The job type a directory position gives (the default when nothing matches)."""
        text = (position or "").strip().lower()
        for job_type, pattern in self.position_patterns:
            if text and pattern.match(text):
                return job_type
        return self.default_job_type


@dataclass(frozen=True)
class ItemEstimate:
    """One item of the dimension for one person."""

    item: str
    weight: Decimal
    met: bool
    verified_jp: Decimal
    pending_jp: Decimal
    """Pending JP of the item's forms: what verification could still add."""
    needed_jp: Decimal | None
    """JP still missing for a JP-threshold item (technical), else None."""
    by_program: bool
    """Met by a passed program cohort rather than by JP."""


@dataclass(frozen=True)
class CompetencyEstimate:
    """A person's estimated competency dimension (out of ``maximum``), item by item."""

    job_type: str
    first_year: int
    last_year: int
    score: Decimal
    maximum: Decimal
    items: tuple[ItemEstimate, ...]
    weights_version: str


class _ItemSchema(Schema):
    programs = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    forms = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)


def _weight() -> fields.Decimal:
    return fields.Decimal(places=2, validate=validate.Range(min=0))


class _WeightsSchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1))
    dimension_max = fields.Decimal(places=2, required=True, validate=validate.Range(min=0))
    window_years = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10))
    technical_min_jp = fields.Decimal(places=2, required=True, validate=validate.Range(min=0))
    items = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ITEMS)),
        values=fields.Nested(_ItemSchema),
        required=True,
    )
    job_types = fields.Dict(
        keys=fields.String(validate=validate.OneOf(JOB_TYPES)),
        values=fields.Dict(keys=fields.String(validate=validate.OneOf(ITEMS)), values=_weight()),
        required=True,
    )
    position_patterns = fields.Dict(
        keys=fields.String(validate=validate.OneOf(JOB_TYPES)),
        values=fields.List(fields.String(validate=validate.Length(min=1))),
        load_default=dict,
    )
    default_job_type = fields.String(load_default="pelaksana", validate=validate.OneOf(JOB_TYPES))


def parse_weights(text: str, source: str = "ipasn-competency") -> CompetencyWeights:
    """Validate a weights file given as YAML text.

    Each job type's weights must add up to ``dimension_max`` and name only items the file
    defines: a typo in a weight would otherwise quietly change everyone's estimate.
    """
    data: dict[str, Any] = load_yaml_mapping(text, source, _WeightsSchema(), WeightsError)
    problems: list[str] = []
    for job_type, weights in data["job_types"].items():
        for item in weights:
            if item not in data["items"]:
                problems.append(f"job_types.{job_type}.{item}: no such item under items")
        total = sum(weights.values(), Decimal(0))
        if total != data["dimension_max"]:
            problems.append(
                f"job_types.{job_type}: weights add up to {total}, not {data['dimension_max']}"
            )
    if data["default_job_type"] not in data["job_types"]:
        problems.append(f"default_job_type: {data['default_job_type']} has no weights")
    if problems:
        raise WeightsError(source, problems)
    return CompetencyWeights(
        version=data["version"],
        dimension_max=data["dimension_max"],
        window_years=data["window_years"],
        technical_min_jp=data["technical_min_jp"],
        items={
            name: ItemCredit(frozenset(item["programs"]), frozenset(item["forms"]))
            for name, item in data["items"].items()
        },
        job_types=data["job_types"],
        position_patterns=tuple(
            (job_type, re.compile(translate(pattern.lower())))
            for job_type, patterns in data["position_patterns"].items()
            for pattern in patterns
        ),
        default_job_type=data["default_job_type"],
    )


@cache
def default_weights() -> CompetencyWeights:
    """The shipped weights (read once per process)."""
    return parse_weights(WEIGHTS_FILE.read_text(encoding="utf-8"), str(WEIGHTS_FILE))


def _jp_by_form_and_status(
    session: Session, nip: str, years: range
) -> dict[tuple[str, str], Decimal]:
    rows = session.execute(
        select(CreditEntry.form, CreditEntry.status, func.sum(CreditEntry.jp))
        .where(
            CreditEntry.nip == nip,
            CreditEntry.year.in_(list(years)),
            CreditEntry.status.in_(("verified", "pending")),
        )
        .group_by(CreditEntry.form, CreditEntry.status)
    ).all()
    return {(form, status): Decimal(jp or 0) for form, status, jp in rows}


def _passed_programs(session: Session, nip: str, years: range) -> set[str]:
    rows = session.scalars(
        select(Program.code)
        .join(Cohort, Cohort.program_id == Program.id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .where(Enrollment.nip == nip, Enrollment.passed.is_(True), Cohort.year.in_(list(years)))
    ).all()
    return set(rows)


def _sum(jp: dict[tuple[str, str], Decimal], forms: Iterable[str], status: str) -> Decimal:
    return sum((jp.get((form, status), Decimal(0)) for form in forms), Decimal(0))


def competency_estimate(
    session: Session,
    *,
    nip: str,
    position: str | None,
    year: int,
    weights: CompetencyWeights,
) -> CompetencyEstimate:
    """The estimate for ``year`` (and the ``window_years - 1`` years before it).

    An item is met by a passed cohort of one of its programs, or by verified credit of its
    forms: at least ``technical_min_jp`` JP for ``technical``, one verified entry's JP
    (more than 0) for the others.
    """
    years = range(year - weights.window_years + 1, year + 1)
    job_type = weights.job_type_of(position)
    jp = _jp_by_form_and_status(session, nip, years)
    passed = _passed_programs(session, nip, years)
    items: list[ItemEstimate] = []
    score = Decimal(0)
    for item, weight in weights.job_types[job_type].items():
        credit = weights.items[item]
        verified = _sum(jp, credit.forms, "verified")
        pending = _sum(jp, credit.forms, "pending")
        by_program = bool(credit.programs & passed)
        if item == "technical":
            met = by_program or verified >= weights.technical_min_jp
            needed: Decimal | None = Decimal(0) if met else weights.technical_min_jp - verified
        else:
            met = by_program or verified > 0
            needed = None
        if met:
            score += weight
        items.append(ItemEstimate(item, weight, met, verified, pending, needed, by_program))
    return CompetencyEstimate(
        job_type=job_type,
        first_year=years.start,
        last_year=year,
        score=score,
        maximum=sum(weights.job_types[job_type].values(), Decimal(0)),
        items=tuple(items),
        weights_version=weights.version,
    )
