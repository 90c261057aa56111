"""Typed tables, one module per area. Importing this package registers every table."""

from lms_bridge.models.access import Client
from lms_bridge.models.credit import CreditEntry, CreditEvidence, CreditRecomputation
from lms_bridge.models.documents import Document
from lms_bridge.models.lrs import (
    AttachmentContent,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)
from lms_bridge.models.people import ActorMapping, Person

__all__ = [
    "ActorMapping",
    "AttachmentContent",
    "Client",
    "CreditEntry",
    "CreditEvidence",
    "CreditRecomputation",
    "Document",
    "Person",
    "Statement",
    "StatementActivity",
    "StatementAgent",
    "StatementAttachment",
]
