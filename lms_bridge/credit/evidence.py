"""An entry's evidence as a person reads it: who did what, in which LMS, when, for how long.

Statements are what LMSs sent, so everything here is attacker-controlled text: it is returned
as plain strings for the pages to escape, never as markup. A verb is named from a small
table kept as data (``policies/verb-labels.yaml``), then from the statement's own display;
an activity from its definition's name in the reader's language, then any language, then
its IRI. Times are in the policy's time zone, the zone credit is counted in.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.models import AttachmentContent, Client, Statement, StatementAttachment
from xapi.fields import duration_seconds, is_iso8601_duration, parse_timestamp

LANGUAGES = ("id", "en")
"""The languages the pages are written in; the first is the default."""

SAFE_INLINE_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}
)
"""Attachment types a browser may show in place; anything else downloads as bytes."""


@cache
def verb_labels() -> dict[str, dict[str, str]]:
    """Verb IRI → {language: label}, from the data file shipped with the policies."""
    text = resources.files("lms_bridge").joinpath("policies/verb-labels.yaml").read_text()
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


def in_language(language_map: Any, language: str) -> str | None:
    """The text of an xAPI language map in ``language``, else the nearest there is.

    Exact tag, then the same primary language (``id`` matches ``id-ID``), then English,
    then whatever comes first; ``None`` when the map is empty or not a map.
    """
    if not isinstance(language_map, Mapping) or not language_map:
        return None
    texts = {str(tag).lower(): str(text) for tag, text in language_map.items()}
    wanted = language.lower()
    if wanted in texts:
        return texts[wanted]
    for preferred in (wanted.split("-")[0], "en"):
        for tag, text in texts.items():
            if tag.split("-")[0] == preferred:
                return text
    return next(iter(texts.values()))


def verb_label(verb: Mapping[str, Any], language: str) -> str:
    """The verb in the reader's language: the table, the statement's display, the IRI."""
    verb_id = str(verb.get("id", ""))
    known = verb_labels().get(verb_id)
    if known:
        return known.get(language) or known[LANGUAGES[0]]
    return in_language(verb.get("display"), language) or verb_id.rstrip("/").rsplit("/", 1)[-1]


def activity_name(statement: Mapping[str, Any], language: str) -> str:
    """The statement object's name in the reader's language, else its id."""
    target = statement.get("object") or {}
    definition = target.get("definition") or {}
    return in_language(definition.get("name"), language) or str(target.get("id", ""))


def _minutes(result: Mapping[str, Any]) -> float | None:
    duration = result.get("duration")
    if isinstance(duration, str) and is_iso8601_duration(duration):
        return duration_seconds(duration) / 60
    return None


def _score(result: Mapping[str, Any]) -> str | None:
    """``raw/max`` or a scaled score as a percentage: how the LMS reported it."""
    score = result.get("score")
    if not isinstance(score, Mapping):
        return None
    if "raw" in score:
        raw = score["raw"]
        return f"{raw}/{score['max']}" if "max" in score else f"{raw}"
    if "scaled" in score:
        return f"{round(float(score['scaled']) * 100, 1)}%"
    return None


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment of an evidence statement (its bytes are read only when opened)."""

    sha2: str
    content_type: str
    name: str
    usage_type: str


@dataclass(frozen=True)
class EvidenceStatement:
    """One statement behind an entry, as a person reads it."""

    statement_id: str
    verb_label: str
    activity_name: str
    client_name: str
    occurred_at: datetime
    """When it happened, in the policy's time zone."""
    duration_minutes: float | None
    score: str | None
    success: bool | None
    completion: bool | None
    voided: bool
    attachments: tuple[AttachmentRef, ...]
    raw: str
    """The statement as stored, pretty JSON (to be shown escaped)."""


def _attachment_refs(
    payload: Mapping[str, Any], stored: Sequence[tuple[str, str]], language: str
) -> tuple[AttachmentRef, ...]:
    declared = {
        str(item.get("sha2")): item
        for item in payload.get("attachments") or ()
        if isinstance(item, Mapping)
    }
    refs = []
    for sha2, content_type in stored:
        item = declared.get(sha2, {})
        refs.append(
            AttachmentRef(
                sha2=sha2,
                content_type=content_type,
                name=in_language(item.get("display"), language) or sha2[:12],
                usage_type=str(item.get("usageType", "")),
            )
        )
    return tuple(refs)


def evidence_statements(
    session: Session, statement_ids: Collection[str], *, language: str, time_zone: ZoneInfo
) -> dict[str, EvidenceStatement]:
    """Statement id → what it shows, for every stored one of ``statement_ids``.

    Two queries whatever the number: the statements with their LMS client, and their
    attachments' types (not their bytes).
    """
    if not statement_ids:
        return {}
    rows = session.execute(
        select(
            Statement.pk, Statement.statement_id, Statement.payload, Statement.voided, Client.name
        )
        .join(Client, Client.id == Statement.client_id)
        .where(Statement.statement_id.in_(list(statement_ids)))
    ).all()
    attachments: dict[int, list[tuple[str, str]]] = defaultdict(list)
    pks = [row[0] for row in rows]
    if pks:
        for pk, sha2, content_type in session.execute(
            select(
                StatementAttachment.statement_pk,
                AttachmentContent.sha2,
                AttachmentContent.content_type,
            )
            .join(AttachmentContent, AttachmentContent.sha2 == StatementAttachment.sha2)
            .where(StatementAttachment.statement_pk.in_(pks))
            .order_by(StatementAttachment.id)
        ):
            attachments[pk].append((sha2, content_type))
    found: dict[str, EvidenceStatement] = {}
    for pk, statement_id, payload_text, voided, client_name in rows:
        payload = json.loads(payload_text)
        result = payload.get("result") or {}
        found[statement_id] = EvidenceStatement(
            statement_id=statement_id,
            verb_label=verb_label(payload.get("verb") or {}, language),
            activity_name=activity_name(payload, language),
            client_name=client_name,
            occurred_at=parse_timestamp(str(payload["timestamp"])).astimezone(time_zone),
            duration_minutes=_minutes(result),
            score=_score(result),
            success=result.get("success"),
            completion=result.get("completion"),
            voided=bool(voided),
            attachments=_attachment_refs(payload, attachments[pk], language),
            raw=json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True),
        )
    return found


def stored_statements(session: Session, statement_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The statements as stored (``format=exact``), in the order of ``statement_ids``."""
    payloads = dict(
        session.execute(
            select(Statement.statement_id, Statement.payload).where(
                Statement.statement_id.in_(list(statement_ids))
            )
        ).all()
    )
    return [json.loads(payloads[i]) for i in statement_ids if i in payloads]


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment's bytes with how to send them safely."""

    content: bytes
    content_type: str
    """The stored type when a browser may show it in place, else application/octet-stream."""
    inline: bool
    filename: str


def attachment_file(
    session: Session, statement_ids: Collection[str], sha2: str
) -> AttachmentFile | None:
    """The attachment ``sha2`` if one of ``statement_ids`` carries it, else ``None``.

    Scoped to the statements given (an entry's evidence): a hash alone opens nothing.
    """
    row = session.execute(
        select(AttachmentContent.content, AttachmentContent.content_type)
        .join(StatementAttachment, StatementAttachment.sha2 == AttachmentContent.sha2)
        .join(Statement, Statement.pk == StatementAttachment.statement_pk)
        .where(AttachmentContent.sha2 == sha2, Statement.statement_id.in_(list(statement_ids)))
        .limit(1)
    ).first()
    if row is None:
        return None
    content, stored_type = row
    media_type = stored_type.split(";")[0].strip().lower()
    inline = media_type in SAFE_INLINE_TYPES
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
        media_type, ".bin"
    )
    return AttachmentFile(
        content=bytes(content),
        content_type=media_type if inline else "application/octet-stream",
        inline=inline,
        filename=f"lampiran-{sha2[:12]}{extension}",
    )
