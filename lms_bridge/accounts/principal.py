"""Who is signed in and what they may see: the one object every page authorizes against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("admin", "auditor", "viewer", "instructor", "coach", "organiser")
"""``admin`` everything; ``auditor`` decides, maps and exports for its agencies; ``viewer``
reads its agencies' summaries; ``instructor`` follows the cohorts assigned to them and
``coach`` the participants assigned to them (``lms-bridge users assign``); ``organiser``
runs the cohorts of its agencies (a cohort's ``organiser`` names its agency), enrolls their
participants and issues their certificates."""
ORGANISING_ROLES = frozenset({"organiser"})
DECIDING_ROLES = frozenset({"auditor"})
FOLLOWING_ROLES = frozenset({"instructor", "coach"})
"""Roles scoped to cohorts and participants rather than to agencies."""


@dataclass(frozen=True)
class Principal:
    """A signed-in person as pages need them; built from the account on every request."""

    user_id: int
    email: str
    name: str
    role: str
    agencies: frozenset[str]
    cohorts: frozenset[int] = frozenset()
    """Cohorts this person follows: an instructor's assigned cohorts; for a coach, the
    cohorts their participants are enrolled in (read when the account is loaded)."""
    participants: frozenset[str] = frozenset()
    """NIPs a coach follows (an instructor follows every participant of their cohorts)."""

    @property
    def is_admin(self) -> bool:
        """Admins see and may do everything."""
        return self.role == "admin"

    def sees_agency(self, agency: str) -> bool:
        """Whether this person may see anything of ``agency`` (else its pages are 404)."""
        return self.is_admin or agency in self.agencies

    def may_decide(self, agency: str) -> bool:
        """Whether this person may verify, reject, correct, map and export for ``agency``."""
        return self.is_admin or (self.role in DECIDING_ROLES and agency in self.agencies)

    def may_organise(self, agency: str) -> bool:
        """Whether this person may create, enroll and certify the cohorts ``agency`` runs."""
        return self.is_admin or (self.role in ORGANISING_ROLES and agency in self.agencies)

    def visible_agencies(self, all_agencies: Iterable[str]) -> list[str]:
        """The agencies of ``all_agencies`` this person sees, sorted, without repeats."""
        return sorted({agency for agency in all_agencies if self.sees_agency(agency)})

    def sees_cohort(self, cohort_id: int) -> bool:
        """Whether this person may see cohort ``cohort_id`` (else its pages are 404)."""
        return self.is_admin or (self.role in FOLLOWING_ROLES and cohort_id in self.cohorts)

    def sees_participant(self, cohort_id: int, nip: str) -> bool:
        """Whether this person may see (and record for) participant ``nip`` of the cohort."""
        if not self.sees_cohort(cohort_id):
            return False
        return self.role != "coach" or nip in self.participants

    @property
    def cohort_scope(self) -> frozenset[int] | None:
        """The cohorts this person is limited to (None: every cohort, for an admin)."""
        return (
            None if self.is_admin else self.cohorts if self.role in FOLLOWING_ROLES else frozenset()
        )

    @property
    def participant_scope(self) -> frozenset[str] | None:
        """The NIPs this person is limited to within a cohort (None: all its participants)."""
        return self.participants if self.role == "coach" and not self.is_admin else None
