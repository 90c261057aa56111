"""A person's page: their year against the target, every entry by name, the IP ASN estimate."""

from __future__ import annotations

from dataclasses import dataclass

from lms_bridge.credit.ipasn import CompetencyEstimate, CompetencyWeights, competency_estimate
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.reports import PersonCredit, credit_of_person
from lms_bridge.db import unit_of_work
from lms_bridge.lrs.activity_names import activity_names
from lms_bridge.models import Person


@dataclass(frozen=True)
class PersonPage:
    """What the person page shows; ``names`` gives each entry's activity a readable name."""

    credit: PersonCredit
    position: str | None
    names: dict[str, str]
    estimate: CompetencyEstimate


def read_person_page(
    policy: Policy, weights: CompetencyWeights, *, nip: str, year: int
) -> PersonPage:
    """The person's year (PersonUnknown if neither in the directory nor ever credited)."""
    with unit_of_work(writes=False) as session:
        credit = credit_of_person(session, policy, nip, year)
        person = session.get(Person, credit.nip)
        position = person.position if person is not None else None
        names = activity_names(
            session, ((entry.activity_id, entry.statement_ids) for entry in credit.entries)
        )
        estimate = competency_estimate(
            session, nip=credit.nip, position=position, year=year, weights=weights
        )
    return PersonPage(credit=credit, position=position, names=names, estimate=estimate)
