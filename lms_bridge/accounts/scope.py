"""What an instructor's or coach's account follows, read when the account is loaded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.models import CohortAssignment, Enrollment, ParticipantAssignment, User


def followed_scope(session: Session, user: User) -> tuple[frozenset[int], frozenset[str]]:
    """The cohorts and participants ``user`` follows (one query; none for other roles)."""
    if user.role == "instructor":
        cohorts = session.scalars(
            select(CohortAssignment.cohort_id).where(CohortAssignment.user_id == user.id)
        )
        return frozenset(cohorts), frozenset()
    if user.role == "coach":
        rows = session.execute(
            select(ParticipantAssignment.nip, Enrollment.cohort_id)
            .outerjoin(Enrollment, Enrollment.nip == ParticipantAssignment.nip)
            .where(ParticipantAssignment.user_id == user.id)
        ).all()
        return (
            frozenset(cohort_id for _, cohort_id in rows if cohort_id is not None),
            frozenset(nip for nip, _ in rows),
        )
    return frozenset(), frozenset()
