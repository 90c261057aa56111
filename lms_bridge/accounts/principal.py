"""Who is signed in and what they may see: the one object every page authorizes against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ROLES = ("admin", "auditor", "viewer", "instructor", "coach", "organiser")
"""``admin`` everything; ``auditor`` decides, maps and exports for its agencies; ``viewer``
reads its agencies' summaries; ``instructor`` and ``coach`` are scoped to cohorts and
participants by part 2 of the pages (their agencies bound them until then); ``organiser``
runs the cohorts of its agencies (a cohort's ``organiser`` names its agency), enrolls their
participants and issues their certificates."""
ORGANISING_ROLES = frozenset({"organiser"})
DECIDING_ROLES = frozenset({"auditor"})


@dataclass(frozen=True)
class Principal:
    """A signed-in person as pages need them; built from the account on every request."""

    user_id: int
    email: str
    name: str
    role: str
    agencies: frozenset[str]

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
