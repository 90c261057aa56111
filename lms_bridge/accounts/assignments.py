"""Which cohorts an instructor follows and which participants a coach follows.

An instructor is scoped to whole cohorts (every participant, the attendance form); a coach
to named participants (by NIP), in whichever cohort they are enrolled, because a coach
accompanies a person at their workplace rather than a class. Admins see every cohort.
Assigning is audited like every other account change.
"""

from __future__ import annotations

from sqlalchemy import select

from lms_bridge.accounts.users import AccountInvalid, account_for_update
from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import (
    Cohort,
    CohortAssignment,
    Enrollment,
    ParticipantAssignment,
)
from lms_bridge.people.nip import InvalidNip, parse_nip


def assign_cohort(email: str, cohort_id: int, *, actor: str) -> bool:
    """Let instructor ``email`` follow cohort ``cohort_id``; False when they already did."""
    with unit_of_work() as session:
        user = account_for_update(session, email)
        if user.role != "instructor":
            raise AccountInvalid(
                f"hanya instruktur yang mengikuti angkatan; {user.email} berperan {user.role} "
                "(only an instructor follows cohorts)"
            )
        if session.get(Cohort, cohort_id) is None:
            raise AccountInvalid(f"angkatan {cohort_id} tidak ada (no cohort {cohort_id})")
        known = session.scalar(
            select(CohortAssignment.id).where(
                CohortAssignment.user_id == user.id, CohortAssignment.cohort_id == cohort_id
            )
        )
        if known is not None:
            return False
        session.add(CohortAssignment(user_id=user.id, cohort_id=cohort_id, assigned_at=utcnow()))
        session.flush()
        record_event(
            session,
            actor=actor,
            action="user.assign_cohort",
            subject_type="user",
            subject_id=user.email,
            after={"cohort_id": cohort_id},
        )
        return True


def assign_participant(email: str, nip: str, *, actor: str) -> bool:
    """Let coach ``email`` follow participant ``nip``; False when they already did.

    The NIP must be enrolled in some cohort: a typo is refused rather than kept unseen.
    """
    try:
        normalised = str(parse_nip(nip))
    except InvalidNip as error:
        raise AccountInvalid(str(error)) from error
    with unit_of_work() as session:
        user = account_for_update(session, email)
        if user.role != "coach":
            raise AccountInvalid(
                f"hanya coach yang mengikuti peserta; {user.email} berperan {user.role} "
                "(only a coach follows participants)"
            )
        enrolled = session.scalar(
            select(Enrollment.id).where(Enrollment.nip == normalised).limit(1)
        )
        if enrolled is None:
            raise AccountInvalid(
                f"NIP {normalised} bukan peserta angkatan mana pun (not enrolled in any cohort)"
            )
        known = session.scalar(
            select(ParticipantAssignment.id).where(
                ParticipantAssignment.user_id == user.id, ParticipantAssignment.nip == normalised
            )
        )
        if known is not None:
            return False
        session.add(ParticipantAssignment(user_id=user.id, nip=normalised, assigned_at=utcnow()))
        session.flush()
        record_event(
            session,
            actor=actor,
            action="user.assign_participant",
            subject_type="user",
            subject_id=user.email,
            after={"nip": normalised},
        )
        return True
