"""Typed tables, one module per area. Importing this package registers every table."""

from lms_bridge.models.access import Client
from lms_bridge.models.lrs import (
    AttachmentContent,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)

__all__ = [
    "AttachmentContent",
    "Client",
    "Statement",
    "StatementActivity",
    "StatementAgent",
    "StatementAttachment",
]
