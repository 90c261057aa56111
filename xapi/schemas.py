"""The xAPI statement as marshmallow schemas, one class per object the spec defines.

Each schema class reads like the property table of its section in xAPI 1.0.3 Data 2.4 (and
xAPI 2.0.0 Part Two 4.2): one field per property, ``required=True`` where the table says
Required, and ``rules`` for the requirements that relate properties to each other. Where 2.0.0
differs (timestamps need a zone, ``version`` may be 2.0.x, ``context.contextAgents`` and
``context.contextGroups`` exist), a subclass overrides the fields and ``validate_statement``
picks the tree for the request's version.

Speed: an LRS ingesting thousands of statements a second cannot afford marshmallow's ``load``
for every nested object (it builds a copy, runs hooks and visits absent fields), and it stores
the statement unchanged anyway. So ``SpecSchema.check`` walks the JSON in place using the
schema's own fields and stops at the first problem. ``Schema.load`` still works and applies
the same rules; it is simply not the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, cast

from marshmallow import RAISE, Schema, ValidationError, validates_schema

from xapi.errors import BadRequest, InvalidStatement
from xapi.fields import (
    NULL_REASON,
    Constant,
    Duration,
    Each,
    Extensions,
    Iri,
    LanguageMap,
    LanguageTag,
    MailtoIri,
    MediaType,
    Nested,
    OneOf,
    OneOrMany,
    Sha1Hex,
    Sha2Hex,
    SpecField,
    StatementVersion,
    StrictBoolean,
    StrictInteger,
    StrictNumber,
    StrictString,
    Timestamp,
    Uuid,
)
from xapi.versions import VERSION_1, VERSION_2, XAPIVersion

VOIDED: Final = "http://adlnet.gov/expapi/verbs/voided"
"""The one verb the spec reserves (Data 2.3.2)."""

IFI_PROPERTIES: Final = ("mbox", "mbox_sha1sum", "openid", "account")
"""Inverse Functional Identifiers of Agents and Groups (Data 2.4.2.3)."""

_VERSION_2_ONLY: Final = (
    "exists only in xAPI 2.0.0; this request declared 1.0.x (X-Experience-API-Version)"
)


class SpecSchema(Schema):
    """Base of every xAPI object schema: unknown properties are refused, nulls too (Data 2.2)."""

    object_name: ClassVar[str] = "this object"
    """How messages name the object, e.g. "an Agent"."""

    unknown_reasons: ClassVar[Mapping[str, str]] = {}
    """Better reasons than "not a property" for keys people often put in the wrong place."""

    class Meta:
        """marshmallow options: RAISE is the 4.x default, stated because the spec relies on it."""

        unknown = RAISE

    def __init__(self) -> None:
        super().__init__()
        by_key: dict[str, SpecField] = {}
        for name, field in self.load_fields.items():
            if not isinstance(field, SpecField):
                raise TypeError(f"{type(self).__name__}.{name} must be an xapi.fields.SpecField")
            by_key[field.data_key or name] = field
        self._by_key: Final = by_key
        self._required: Final = tuple(key for key, field in by_key.items() if field.required)

    def check(self, value: Any) -> None:
        """Check a JSON object in place; raise ValidationError({key: ...}) at the first fault."""
        if value.__class__ is not dict:
            raise ValidationError(f"must be a JSON object ({self.object_name})")
        by_key = self._by_key
        for key, item in value.items():
            field = by_key.get(key)
            if field is None:
                reason = self.unknown_reasons.get(key)
                raise ValidationError({key: [reason or f"is not a property of {self.object_name}"]})
            if item is None:
                raise ValidationError({key: [NULL_REASON]})
            try:
                field.check(item)
            except ValidationError as error:
                raise ValidationError({key: error.messages}) from None
        for key in self._required:
            if key not in value:
                raise ValidationError({key: [f"is required in {self.object_name}"]})
        self.rules(value)

    def rules(self, data: dict[str, Any]) -> None:
        """Requirements linking properties; ``data`` has passed the field checks. None here."""

    @validates_schema(pass_original=True)
    def _rules_on_load(self, data: Any, original_data: Any, **kwargs: Any) -> None:
        """Let ``Schema.load`` enforce the same cross-property rules as ``check``."""
        self.rules(original_data)


class ByObjectType(SpecField):
    """An object whose schema depends on its ``objectType`` (actor, object, authority...)."""

    def __init__(
        self,
        schemas: Mapping[str, SpecSchema],
        *,
        default: str,
        refusals: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.schemas = dict(schemas)
        self.default = default
        self.refusals = dict(refusals or {})
        self.expected = "must be " + " or ".join(repr(kind) for kind in self.schemas)

    def check(self, value: Any) -> None:
        """Dispatch on objectType (absent means ``default``, Data 2.4.2 / 2.4.4)."""
        if value.__class__ is not dict:
            raise ValidationError("must be a JSON object")
        kind = value.get("objectType", self.default)
        if kind.__class__ is not str:
            raise ValidationError({"objectType": [self.expected]})
        schema = self.schemas.get(kind)
        if schema is None:
            raise ValidationError({"objectType": [self.refusals.get(kind, self.expected)]})
        schema.check(value)


def _ifis(data: dict[str, Any]) -> list[str]:
    return [key for key in IFI_PROPERTIES if key in data]


# ----------------------------------------------------------------------------- Actor (2.4.2)


class AccountSchema(SpecSchema):
    """Data 2.4.2.4: an account on some system, e.g. a Moodle user id on the site's home page."""

    object_name = "an account"
    home_page = Iri(required=True, data_key="homePage")
    name = StrictString(required=True)


ACCOUNT: Final = AccountSchema()


class AgentSchema(SpecSchema):
    """Data 2.4.2.1: an individual, identified by one Inverse Functional Identifier (IFI)."""

    object_name = "an Agent"
    object_type = Constant(
        "Agent", data_key="objectType", reason="must be 'Agent' (only Agents are allowed here)"
    )
    name = StrictString()
    mbox = MailtoIri()
    mbox_sha1sum = Sha1Hex()
    openid = Iri()
    account = Nested(ACCOUNT)
    unknown_reasons: ClassVar[Mapping[str, str]] = {
        "member": "belongs to Groups; an object with members needs objectType 'Group'"
    }

    def rules(self, data: dict[str, Any]) -> None:
        """Data 2.4.2.1: "An Agent MUST be identified by one (1) of the four types" of IFI."""
        found = _ifis(data)
        if len(found) != 1:
            has = ", ".join(found) if found else "none"
            raise ValidationError(
                "an Agent needs exactly one identifier of mbox, mbox_sha1sum, openid, account; "
                f"it has {has}"
            )


AGENT: Final = AgentSchema()


class GroupSchema(SpecSchema):
    """Data 2.4.2.2: an Identified Group (one IFI) or an Anonymous Group (members, no IFI)."""

    object_name = "a Group"
    object_type = Constant("Group", required=True, data_key="objectType")
    name = StrictString()
    member = Each(Nested(AGENT))
    mbox = MailtoIri()
    mbox_sha1sum = Sha1Hex()
    openid = Iri()
    account = Nested(ACCOUNT)

    def rules(self, data: dict[str, Any]) -> None:
        """At most one IFI; without one, the Group is anonymous and MUST list its members."""
        found = _ifis(data)
        if len(found) > 1:
            raise ValidationError(
                f"an Identified Group has exactly one identifier; it has {', '.join(found)}"
            )
        if not found and not data.get("member"):
            reason = "an Anonymous Group (one without mbox, mbox_sha1sum, openid or account) "
            raise ValidationError({"member": [reason + "must list its member Agents"]})


GROUP: Final = GroupSchema()


class AuthorityGroupSchema(GroupSchema):
    """Data 2.4.9: "except in 3-legged OAuth, where it MUST be a Group with two Agents"."""

    object_name = "an authority Group"

    def rules(self, data: dict[str, Any]) -> None:
        """Anonymous, exactly two members, one of them the OAuth consumer identified by account."""
        if _ifis(data):
            raise ValidationError(
                "an authority Group is the anonymous pair of an OAuth application and a user; "
                "it cannot carry an identifier"
            )
        members = data.get("member")
        if not members or len(members) != 2:
            raise ValidationError({"member": ["an authority Group must have exactly two Agents"]})
        if not any("account" in agent for agent in members):
            raise ValidationError(
                {
                    "member": [
                        "one authority member must be the OAuth consumer, identified by account"
                    ]
                }
            )


ACTOR_TYPES: Final = {"Agent": AGENT, "Group": GROUP}


def _actor(**kwargs: Any) -> ByObjectType:
    return ByObjectType(ACTOR_TYPES, default="Agent", **kwargs)


# ----------------------------------------------------------------------------- Verb (2.4.3)


class VerbSchema(SpecSchema):
    """Data 2.4.3: an IRI and an optional display language map."""

    object_name = "a Verb"
    id = Iri(required=True)
    display = LanguageMap()


VERB: Final = VerbSchema()


# ----------------------------------------------------------------------------- Object (2.4.4)

INTERACTION_TYPES: Final = (
    "true-false", "choice", "fill-in", "long-fill-in", "matching",
    "performance", "sequencing", "likert", "numeric", "other",
)  # fmt: skip
"""Data 2.4.4.1 "Interaction Activities": the only interactionType values."""

COMPONENT_LISTS: Final = {
    "choices": ("choice", "sequencing"),
    "scale": ("likert",),
    "source": ("matching",),
    "target": ("matching",),
    "steps": ("performance",),
}
"""Data 2.4.4.1 "Interaction Components": which interactionType supports which list."""
_INTERACTION_KEYS: Final = frozenset(("correctResponsesPattern", *COMPONENT_LISTS))


class InteractionComponentSchema(SpecSchema):
    """Data 2.4.4.1: one choice, scale point, source, target or step of an interaction."""

    object_name = "an interaction component"
    id = StrictString(required=True)
    description = LanguageMap()


COMPONENT: Final = InteractionComponentSchema()


class ActivityDefinitionSchema(SpecSchema):
    """Data 2.4.4.1 "Activity Definition", with the interaction properties."""

    object_name = "an Activity Definition"
    name = LanguageMap()
    description = LanguageMap()
    type = Iri()
    more_info = Iri(data_key="moreInfo")
    extensions = Extensions()
    interaction_type = OneOf(INTERACTION_TYPES, data_key="interactionType")
    correct_responses_pattern = Each(StrictString(), data_key="correctResponsesPattern")
    choices = Each(Nested(COMPONENT))
    scale = Each(Nested(COMPONENT))
    source = Each(Nested(COMPONENT))
    target = Each(Nested(COMPONENT))
    steps = Each(Nested(COMPONENT))

    def rules(self, data: dict[str, Any]) -> None:
        """Interaction properties need an interactionType that supports them; ids are distinct."""
        if _INTERACTION_KEYS.isdisjoint(data):
            return  # most Activities are no interactions: skip the rest cheaply
        interaction = data.get("interactionType")
        if interaction is None and "correctResponsesPattern" in data:
            raise ValidationError(
                {
                    "correctResponsesPattern": [
                        "is an interaction property; interactionType is required"
                    ]
                }
            )
        for key, supported_by in COMPONENT_LISTS.items():
            components = data.get(key)
            if components is None:
                continue
            if interaction not in supported_by:
                allowed = " or ".join(supported_by)
                reason = f"needs interactionType {allowed} (Data 2.4.4.1); it is {interaction!r}"
                raise ValidationError({key: [reason]})
            seen: set[str] = set()
            for index, component in enumerate(components):
                if component["id"] in seen:
                    reason = "repeats an id; ids within a component list must be distinct"
                    raise ValidationError({key: {index: {"id": [reason]}}})
                seen.add(component["id"])


DEFINITION: Final = ActivityDefinitionSchema()

_NEEDS_OBJECT_TYPE: Final = (
    "belongs to Agents and Groups; an Agent or Group as object must state its objectType"
    " (Data 2.4.4.2)"
)


class ActivitySchema(SpecSchema):
    """Data 2.4.4.1: an Activity, identified by an IRI."""

    object_name = "an Activity"
    object_type = Constant("Activity", data_key="objectType")
    id = Iri(required=True)
    definition = Nested(DEFINITION)
    unknown_reasons: ClassVar[Mapping[str, str]] = dict.fromkeys(
        (*IFI_PROPERTIES, "member", "name"), _NEEDS_OBJECT_TYPE
    )


ACTIVITY: Final = ActivitySchema()


class StatementRefSchema(SpecSchema):
    """Data 2.4.4.3 "Statement References": objectType StatementRef and a statement's UUID."""

    object_name = "a StatementRef"
    object_type = Constant("StatementRef", required=True, data_key="objectType")
    id = Uuid(required=True)


STATEMENT_REF: Final = StatementRefSchema()


# ----------------------------------------------------------------------------- Result (2.4.5)


class ScoreSchema(SpecSchema):
    """Data 2.4.5.1: scaled in [-1, 1]; min <= raw <= max."""

    object_name = "a Score"
    scaled = StrictNumber()
    raw = StrictNumber()
    min = StrictNumber()
    max = StrictNumber()

    def rules(self, data: dict[str, Any]) -> None:
        """Check the ranges of the Score table."""
        scaled, raw, low, high = (data.get(key) for key in ("scaled", "raw", "min", "max"))
        if scaled is not None and not -1 <= scaled <= 1:
            raise ValidationError({"scaled": ["must be between -1 and 1 inclusive"]})
        if low is not None and high is not None and low > high:
            # The table says "less than max"; min == max is accepted because Open edX sends
            # min 0, max 0, raw 0 for ungraded problems, and nothing is ambiguous about it.
            raise ValidationError({"min": ["must not be greater than max"]})
        if raw is not None and low is not None and raw < low:
            raise ValidationError({"raw": ["must not be less than min"]})
        if raw is not None and high is not None and raw > high:
            raise ValidationError({"raw": ["must not be greater than max"]})


class ResultSchema(SpecSchema):
    """Data 2.4.5: a measured outcome."""

    object_name = "a Result"
    score = Nested(ScoreSchema())
    success = StrictBoolean()
    completion = StrictBoolean()
    response = StrictString()
    duration = Duration()
    extensions = Extensions()


RESULT: Final = ResultSchema()


# ----------------------------------------------------------------------------- Context (2.4.6)


class ContextActivitiesSchema(SpecSchema):
    """Data 2.4.6.2: four kinds of related Activities, each one Activity or an array of them."""

    object_name = "contextActivities (keys: parent, grouping, category, other)"
    parent = OneOrMany(Nested(ACTIVITY))
    grouping = OneOrMany(Nested(ACTIVITY))
    category = OneOrMany(Nested(ACTIVITY))
    other = OneOrMany(Nested(ACTIVITY))


class ContextSchema(SpecSchema):
    """Data 2.4.6 (xAPI 1.0.3)."""

    object_name = "a Context"
    registration = Uuid()
    instructor = _actor()
    team = Nested(GROUP)
    context_activities = Nested(ContextActivitiesSchema(), data_key="contextActivities")
    revision = StrictString()
    platform = StrictString()
    language = LanguageTag()
    statement = Nested(STATEMENT_REF)
    extensions = Extensions()
    unknown_reasons: ClassVar[Mapping[str, str]] = {
        "contextAgents": _VERSION_2_ONLY,
        "contextGroups": _VERSION_2_ONLY,
    }


class ContextAgentSchema(SpecSchema):
    """xAPI 2.0.0 contextAgents item: an Agent and optional IRIs of the roles it plays."""

    object_name = "a contextAgent"
    object_type = Constant("contextAgent", required=True, data_key="objectType")
    agent = Nested(AGENT, required=True)
    relevant_types = Each(Iri(), min_items=1, data_key="relevantTypes")


class ContextGroupSchema(SpecSchema):
    """xAPI 2.0.0 contextGroups item: a Group and optional IRIs of the roles it plays."""

    object_name = "a contextGroup"
    object_type = Constant("contextGroup", required=True, data_key="objectType")
    group = Nested(GROUP, required=True)
    relevant_types = Each(Iri(), min_items=1, data_key="relevantTypes")


class Context2Schema(ContextSchema):
    """xAPI 2.0.0 Context: the 1.0.3 properties plus contextAgents and contextGroups."""

    context_agents = Each(Nested(ContextAgentSchema()), data_key="contextAgents")
    context_groups = Each(Nested(ContextGroupSchema()), data_key="contextGroups")
    unknown_reasons: ClassVar[Mapping[str, str]] = {}


# ----------------------------------------------------------------------------- Attachment (2.4.11)


class AttachmentSchema(SpecSchema):
    """Data 2.4.11: metadata of an attachment; the data comes as a multipart part or at fileUrl."""

    object_name = "an Attachment"
    usage_type = Iri(required=True, data_key="usageType")
    display = LanguageMap(required=True)
    description = LanguageMap()
    content_type = MediaType(required=True, data_key="contentType")
    length = StrictInteger(required=True)
    sha2 = Sha2Hex(required=True)
    file_url = Iri(data_key="fileUrl")


ATTACHMENT: Final = AttachmentSchema()


# ----------------------------------------------------------------------------- Statement (2.4)


def _statement_rules(data: dict[str, Any]) -> None:
    """Rules a Statement and a SubStatement share ("validated as a Statement", Data 2.4.4.3)."""
    target = data["object"]
    if data["verb"]["id"] == VOIDED and target.get("objectType") != "StatementRef":
        reason = "a voiding statement (verb voided) must target a StatementRef (Data 2.3.2)"
        raise ValidationError({"object": [reason]})
    context = data.get("context")
    if context and target.get("objectType", "Activity") != "Activity":
        for key in ("revision", "platform"):
            if key in context:
                reason = "may only be used when the object is an Activity (Data 2.4.6)"
                raise ValidationError({"context": {key: [reason]}})


_SUB_STATEMENT_REFUSALS: Final = dict.fromkeys(
    ("id", "stored", "version", "authority"),
    "a SubStatement MUST NOT have id, stored, version or authority (Data 2.4.4.3)",
)
_OBJECT_TYPES_1: Final = {
    "Activity": ACTIVITY,
    "Agent": AGENT,
    "Group": GROUP,
    "StatementRef": STATEMENT_REF,
}
_NO_NESTING: Final = {
    "SubStatement": "a SubStatement cannot contain another SubStatement (Data 2.4.4.3)"
}


class SubStatementSchema(SpecSchema):
    """Data 2.4.4.3 "SubStatements" (xAPI 1.0.3): a statement inside a statement, not an event."""

    object_name = "a SubStatement"
    object_type = Constant("SubStatement", required=True, data_key="objectType")
    actor = _actor(required=True)
    verb = Nested(VERB, required=True)
    object = ByObjectType(_OBJECT_TYPES_1, default="Activity", refusals=_NO_NESTING, required=True)
    result = Nested(RESULT)
    context = Nested(ContextSchema())
    timestamp = Timestamp()
    attachments = Each(Nested(ATTACHMENT))
    unknown_reasons: ClassVar[Mapping[str, str]] = _SUB_STATEMENT_REFUSALS

    def rules(self, data: dict[str, Any]) -> None:
        """Voiding and revision/platform rules apply inside a SubStatement too."""
        _statement_rules(data)


class SubStatement2Schema(SubStatementSchema):
    """SubStatement under xAPI 2.0.0: zoned timestamps and the 2.0.0 Context."""

    context = Nested(Context2Schema())
    timestamp = Timestamp(require_zone=True)


class StatementSchema(SpecSchema):
    """Data 2.4 (xAPI 1.0.3): the Statement; actor, verb and object are required."""

    object_name = "a Statement"
    id = Uuid()
    actor = _actor(required=True)
    verb = Nested(VERB, required=True)
    object = ByObjectType(
        {**_OBJECT_TYPES_1, "SubStatement": SubStatementSchema()}, default="Activity", required=True
    )
    result = Nested(RESULT)
    context = Nested(ContextSchema())
    timestamp = Timestamp()
    stored = Timestamp()
    authority = ByObjectType({"Agent": AGENT, "Group": AuthorityGroupSchema()}, default="Agent")
    version = StatementVersion(VERSION_1)
    attachments = Each(Nested(ATTACHMENT))

    def rules(self, data: dict[str, Any]) -> None:
        """Voiding targets a StatementRef; revision and platform need an Activity object."""
        _statement_rules(data)


class Statement2Schema(StatementSchema):
    """The Statement under xAPI 2.0.0 (IEEE 9274.1.1)."""

    object = ByObjectType(
        {**_OBJECT_TYPES_1, "SubStatement": SubStatement2Schema()},
        default="Activity",
        required=True,
    )
    context = Nested(Context2Schema())
    timestamp = Timestamp(require_zone=True)
    stored = Timestamp(require_zone=True)
    version = StatementVersion(VERSION_2)


STATEMENT_SCHEMAS: Final[Mapping[XAPIVersion, StatementSchema]] = {
    VERSION_1: StatementSchema(),
    VERSION_2: Statement2Schema(),
}
"""One schema tree per xAPI version, built once at import."""

_ACTOR: Final = _actor()


# ----------------------------------------------------------------------------- entry points


def _first_problem(messages: Any) -> tuple[str, str]:
    """Turn marshmallow's nested messages into ('.context.contextActivities.parent[0].id', why)."""
    path = ""
    while isinstance(messages, dict) and messages:
        key, messages = next(iter(messages.items()))
        path += f"[{key}]" if isinstance(key, int) else f".{key}"
    while isinstance(messages, list) and messages:
        messages = messages[0]
    return path, str(messages)


def validate_statement(
    obj: object, version: XAPIVersion, path: str = "statement"
) -> dict[str, Any]:
    """Validate one statement under the rules of ``version``; return it unchanged.

    Raises InvalidStatement(path, reason) naming the first offending property, e.g.
    ``statement.actor.mbox: must be a mailto IRI``.
    """
    try:
        STATEMENT_SCHEMAS[version].check(obj)
    except ValidationError as error:
        where, reason = _first_problem(error.messages)
        raise InvalidStatement(path + where, reason) from None
    return cast(dict[str, Any], obj)


def validate_statements(payload: object, version: XAPIVersion) -> list[dict[str, Any]]:
    """Validate a POST body: one statement or a non-empty array of them; return them unchanged.

    A batch may not repeat a statement id (Communication 2.1.1: "If the LRS receives a batch of
    Statements containing two or more Statements with the same id, it SHOULD* reject the batch").
    """
    if isinstance(payload, dict):
        return [validate_statement(payload, version, "statement")]
    if not isinstance(payload, list):
        raise InvalidStatement("statements", "must be a statement object or an array of statements")
    if not payload:
        raise InvalidStatement("statements", "the array is empty; send at least one statement")
    seen: dict[str, int] = {}
    for index, statement in enumerate(payload):
        validate_statement(statement, version, f"statements[{index}]")
        statement_id = statement.get("id")
        if statement_id is not None:
            key = statement_id.lower()  # UUIDs compare case-insensitively
            if key in seen:
                raise InvalidStatement(
                    f"statements[{index}].id",
                    f"repeats the id of statements[{seen[key]}]; a batch may not hold one id twice",
                )
            seen[key] = index
    return cast(list[dict[str, Any]], payload)


def parse_agent(value: object, path: str = "agent") -> dict[str, Any]:
    """Validate an Agent or identified Group given as a request parameter; return it unchanged.

    Parameters follow the rules of statement values (Data 2.2). A parameter must identify
    someone, so an Anonymous Group (no IFI) is refused. Raises BadRequest naming the property.
    """
    try:
        _ACTOR.check(value)
    except ValidationError as error:
        where, reason = _first_problem(error.messages)
        raise BadRequest(f"{path}{where}: {reason}") from None
    agent = cast(dict[str, Any], value)
    if not _ifis(agent):
        raise BadRequest(f"{path}: must be an Agent or an identified Group (with one IFI)")
    return agent
