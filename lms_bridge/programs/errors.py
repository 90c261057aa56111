"""What goes wrong with programs, cohorts and webhooks, named for what went wrong."""

from __future__ import annotations

from lms_bridge.people.records import RecordsRejected


class ProgramError(ValueError):
    """Base of the programs area's errors (the message is safe to show a user)."""


class ProgramVersionConflict(ProgramError):
    """This version of the program is stored already with different content."""


class ProgramNotFound(ProgramError):
    """No program (or version) by that code."""


class CohortNotFound(ProgramError):
    """No cohort by that id."""


class CohortInvalid(ProgramError):
    """The cohort's own values are wrong; ``problem`` names which for the pages' catalogs
    (``dates``, ``number``, ``exists``, ``agency``)."""

    def __init__(self, message: str, problem: str = "invalid") -> None:
        super().__init__(message)
        self.problem = problem


class CertificateRefused(ProgramError):
    """A certificate cannot be issued or revoked; ``problem`` names why for the pages
    (``not_completed``, ``issued``, ``not_issued``, ``revoked``, ``reason``)."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class EnrollmentNotFound(ProgramError):
    """That NIP is not a participant of the cohort."""


class EnrollmentRejected(RecordsRejected):
    """A participants file was refused whole; ``problems`` names each line."""


class WebhookInvalid(ProgramError):
    """A webhook subscription that cannot be used (URL, cohort, no secret key)."""
