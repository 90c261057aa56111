"""The data types of xAPI statements: predicates, parsers and marshmallow fields.

Every value type a statement can hold (xAPI 1.0.3 Data 4 "Special Data Types and Rules", 2.0.0
Part Two 4.2.7) is checked here once, so statements (xapi.schemas) and query parameters (the HTTP
layer) apply the same rules: the spec requires it (Data 2.2: "The LRS MUST validate parameter values
to the same standards required for values of the same types in Statements").

The fields never convert: a statement is stored exactly as received, so a field only checks the
JSON value in place (``check``) and ``deserialize`` hands the value back unchanged. No coercion:
strings where numbers or booleans are required are rejected (Data 2.2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, Protocol

from marshmallow import ValidationError, fields

from xapi.errors import BadRequest
from xapi.versions import VERSION_2, XAPIVersion

# --------------------------------------------------------------------------- formats

_IRI = re.compile(
    # RFC 3987: scheme ":" then characters an IRI may hold; "%" only as a %XX escape.
    # Best effort, as Data 2.2 allows ("The LRS MAY use best-effort validation for IRL and IRI
    # formats"); what it must catch is a missing scheme ("IRL or IRI values without a scheme").
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[^\s<>\"{}|\\^`%\x00-\x1f\x7f]|%[0-9A-Fa-f]{2})+"
)
_NOT_IN_ADDRESS = r"\s@<>()\[\]\\,;:\"\x00-\x1f\x7f"
"""Characters no address part may hold: RFC 6068's delimiters, and control characters
(U+0000 in particular, which PostgreSQL cannot store)."""
_MAILTO = re.compile(
    # Data 2.4.2.3: mbox is "mailto:email address"; the address is local@domain (RFC 6068).
    rf"(?i:mailto):(?:[^{_NOT_IN_ADDRESS}%]|%[0-9A-Fa-f]{{2}})+"
    rf"@[^{_NOT_IN_ADDRESS}/?#.]+(?:\.[^{_NOT_IN_ADDRESS}/?#.]+)*"
)
_UUID = re.compile(
    # Data 4.4: "standard string form"; any version or variant is accepted, only the shape counts.
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)
_SHA1 = re.compile(r"[0-9A-Fa-f]{40}")
# Data 2.4.11: contentType is an Internet Media Type (RFC 2046): type "/" subtype, then parameters.
_MEDIA_TYPE = re.compile(
    r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*;[^\x00]*)?", re.DOTALL
)
# Data 2.4.11: "The SHA-2 hash" of the attachment: SHA-224, -256, -384 or -512 in hex.
_SHA2 = re.compile(r"[0-9A-Fa-f]{56}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{96}|[0-9A-Fa-f]{128}")

_ALNUM = "[A-Za-z0-9]"
_LANGUAGE_TAG = re.compile(
    # RFC 5646 section 2.1 ABNF, case-insensitive. Data 2.2: "The LRS MUST at least validate that
    # the sequence of token lengths for language map keys matches the RFC 5646 standard".
    r"(?:"
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language (+ extlang)
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WY-Za-wy-z](?:-{_ALNUM}{{2,8}})+)*"  # extensions (singleton other than x)
    rf"(?:-[Xx](?:-{_ALNUM}{{1,8}})+)?"  # private use
    rf"|[Xx](?:-{_ALNUM}{{1,8}})+"  # private use only
    r"|en-GB-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:BE-FR|BE-NL|CH-DE)"  # irregular grandfathered tags
    r")",
    re.IGNORECASE,
)
# At most nine digits before and after the separator: P999999999Y is far beyond any learning
# time, and a duration of hundreds of digits would overflow the arithmetic of whoever reads it.
MAX_DURATION_DIGITS: Final = 9
_NUM = rf"\d{{1,{MAX_DURATION_DIGITS}}}(?:[.,]\d{{1,{MAX_DURATION_DIGITS}}})?"
_DURATION = re.compile(
    # Data 4.6: ISO 8601:2004 4.4.3.2 (PnYnMnDTnHnMnS or PnW); the alternative format is refused.
    rf"P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)"
)
_DURATION_FRACTION_LAST = re.compile(r"[.,]\d+[YMWDHS]\Z")

_TIMESTAMP_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?"
)
_TIMESTAMP_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(\d{2})?)?"
)

NULL_REASON: Final = "must not be null (xAPI Data 2.2: null values are rejected outside extensions)"

NUL: Final = "\x00"
NUL_REASON: Final = "must not contain the NUL character (U+0000)"
"""Text with U+0000 cannot be stored (PostgreSQL's text type refuses it), so every text the
service receives is checked for it: a stored statement must come back as it was sent."""

MAX_JSON_DEPTH: Final = 32
"""How deep free JSON (extension values, API bodies) may nest. Storage serialises with orjson,
which stops at 254 levels; real extensions nest a few levels."""

MAX_STATEMENT_VERSION_LENGTH: Final = 20
"""The ``version`` column's width; "1.0.3" and "2.0.0" are five characters."""

_STATEMENT_VERSION = {
    # Data 2.4.10: "An LRS MUST reject all Statements with a version specified that does not start
    # with 1.0."; the conformance suite accepts "1.0" and "1.0.9". 2.0.0 adds the 2.0 family.
    "1.0.3": re.compile(r"1\.0(?:\.\d+(?:-[0-9A-Za-z.\-]+)?)?"),
    "2.0.0": re.compile(r"(?:1\.0|2\.0)(?:\.\d+(?:-[0-9A-Za-z.\-]+)?)?"),
}

# Values seen to be valid are remembered: the same verb ids, activity types, extension keys and
# language tags recur in nearly every statement, and a set lookup is cheaper than a regex.
_MEMO_LIMIT: Final = 8192
_VALID_IRIS: set[str] = set()
_VALID_TAGS: set[str] = set()


def _remember(memo: set[str], value: str) -> None:
    """Add to a memo of valid values, starting afresh when full so recurring values stay in."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo.add(value)


def is_iri(value: object) -> bool:
    """An absolute IRI (RFC 3987): a scheme, a colon and no characters an IRI may not hold."""
    if not isinstance(value, str):
        return False
    if value in _VALID_IRIS:
        return True
    if _IRI.fullmatch(value) is None:
        return False
    _remember(_VALID_IRIS, value)
    return True


def is_mailto_iri(value: object) -> bool:
    """A ``mailto:`` IRI naming one address, as Agent and Group ``mbox`` require (Data 2.4.2.3)."""
    return isinstance(value, str) and _MAILTO.fullmatch(value) is not None


def is_language_tag(value: object) -> bool:
    """An RFC 5646 language tag, the key of every language map (Data 4.2)."""
    if not isinstance(value, str):
        return False
    if value in _VALID_TAGS:
        return True
    if _LANGUAGE_TAG.fullmatch(value) is None:
        return False
    _remember(_VALID_TAGS, value)
    return True


def is_uuid(value: object) -> bool:
    """A UUID in standard string form (Data 4.4), of any version or variant, in either case."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def is_sha1_hex(value: object) -> bool:
    """40 hex digits: the form of ``mbox_sha1sum`` (Data 2.4.2.3)."""
    return isinstance(value, str) and _SHA1.fullmatch(value) is not None


def is_sha2_hex(value: object) -> bool:
    """A SHA-2 digest in hex, the form of an attachment's ``sha2`` (Data 2.4.11)."""
    return isinstance(value, str) and _SHA2.fullmatch(value) is not None


def is_media_type(value: object) -> bool:
    """An Internet Media Type such as ``text/plain; charset=ascii`` (Data 2.4.11 contentType)."""
    return isinstance(value, str) and _MEDIA_TYPE.fullmatch(value) is not None


def is_iso8601_duration(value: object) -> bool:
    """An ISO 8601 duration as Data 4.6 allows; only the last component may have a fraction."""
    if not isinstance(value, str) or _DURATION.fullmatch(value) is None:
        return False
    fractions = value.count(".") + value.count(",")
    return fractions == 0 or (fractions == 1 and _DURATION_FRACTION_LAST.search(value) is not None)


def is_statement_version(value: object, version: XAPIVersion) -> bool:
    """Whether a statement's ``version`` suits the request's xAPI version (Data 2.4.10)."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_STATEMENT_VERSION_LENGTH
        and _STATEMENT_VERSION[version].fullmatch(value) is not None
    )


def _timestamp_or_reason(value: str, require_zone: bool) -> datetime | str:
    """The instant ``value`` names, or why it is not an ISO 8601 timestamp (Data 4.5)."""
    match = _TIMESTAMP_EXTENDED.fullmatch(value) or _TIMESTAMP_BASIC.fullmatch(value)
    if match is None:
        return "must be an ISO 8601 date and time, e.g. 2015-06-10T14:31:41.000Z"
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        zone: timezone = UTC
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        if int(off_h) > 23 or int(off_m or 0) > 59:
            return "has an impossible time zone offset"
        if sign == "-" and not offset:
            # RFC 3339 4.3: -00:00 means "offset unknown", which is no time zone at all.
            return "has the offset -00:00 (unknown local offset); use Z or +00:00"
        zone = timezone(-offset if sign == "-" else offset)
    elif require_zone:
        return "must include a time zone (Z or an offset such as +07:00) in xAPI 2.0.0"
    else:
        zone = UTC  # 1.0.3 only recommends a zone (Data 4.5); read a bare time as UTC.
    leap = second == "60"
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        instant = datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            59 if leap else int(second or 0), 999_999 if leap else micro, tzinfo=zone,
        )  # fmt: skip
    except ValueError:
        return "is not a real calendar date and time"
    return instant


def parse_timestamp(value: str, *, require_zone: bool = False) -> datetime:
    """Parse an xAPI Timestamp (Data 4.5) into an aware datetime; raise BadRequest if it is none.

    Used for statement timestamps and for the ``since``/``until`` query parameters, which the
    spec validates like statement values (Data 2.2). ``require_zone`` is the xAPI 2.0.0 rule; under
    1.0.3 a timestamp without a zone is read as UTC.
    """
    result = (
        _timestamp_or_reason(value, require_zone) if isinstance(value, str) else "must be a string"
    )
    if isinstance(result, str):
        raise BadRequest(f"timestamp {value!r} {result}")
    return result


def format_timestamp(moment: datetime) -> str:
    """An aware UTC moment in ISO 8601 with millisecond precision and a ``Z``, as the LRS writes
    ``stored`` (Data 2.4.8: an LRS keeps at least millisecond precision)."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_agent(value: object, path: str = "agent") -> dict[str, Any]:
    """Validate an Agent or identified Group given as a parameter (``agent=``, Agents Resource).

    The Agent and Group schemas are built in xapi.schemas from the fields of this module, so the
    import is deferred to call time.
    """
    from xapi.schemas import parse_agent as parse  # noqa: PLC0415 (schemas import this module)

    return parse(value, path)


# --------------------------------------------------------------------------- fields


class Checker(Protocol):
    """Anything that validates a JSON value in place, e.g. an xapi.schemas object schema."""

    def check(self, value: Any) -> None:
        """Raise marshmallow.ValidationError if ``value`` breaks a rule."""


class SpecField(fields.Field[Any]):
    """A field that checks a JSON value in place and returns it unchanged.

    ``check`` is the rule; the object schemas of xapi.schemas call it directly on the hot path,
    and marshmallow's ``Schema.load`` reaches it through ``_deserialize``.
    """

    reason: str = "is not valid"
    """What the value must be; the message of the ValidationError ``check`` raises."""

    def check(self, value: Any) -> None:
        """Raise ValidationError when ``value`` is not of this field's type."""
        raise NotImplementedError

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        self.check(value)
        return value


class StrictString(SpecField):
    """A JSON string; no other type is converted (Data 2.2)."""

    reason = "must be a string"

    def check(self, value: Any) -> None:
        """Accept str only, and no NUL in it."""
        if not isinstance(value, str):
            raise ValidationError(self.reason)
        if NUL in value:
            raise ValidationError(NUL_REASON)


class StrictBoolean(SpecField):
    """A JSON boolean; "true" and 1 are refused (Data 2.2: no strings for booleans)."""

    reason = "must be true or false (a JSON boolean)"

    def check(self, value: Any) -> None:
        """Accept True and False only."""
        if value is not True and value is not False:
            raise ValidationError(self.reason)


class StrictNumber(SpecField):
    """A finite JSON number; numeric strings and booleans are rejected (Data 2.2)."""

    reason = "must be a number"

    def check(self, value: Any) -> None:
        """Accept int and finite float, not bool."""
        kind = value.__class__
        if kind is int or (kind is float and math.isfinite(value)):
            return
        raise ValidationError(self.reason)


class StrictInteger(SpecField):
    """A non-negative JSON integer, as an attachment's ``length`` in octets (Data 2.4.11)."""

    reason = "must be a whole number of octets (0 or more)"

    def check(self, value: Any) -> None:
        """Accept int >= 0 (or an integral float, JSON does not tell them apart), not bool."""
        kind = value.__class__
        if (kind is int or (kind is float and math.isfinite(value) and value.is_integer())) and (
            value >= 0
        ):
            return
        raise ValidationError(self.reason)


class Constant(SpecField):
    """A string with exactly one allowed value, e.g. ``objectType`` (Data 2.2: exact case)."""

    def __init__(self, value: str, *, reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value = value
        self.reason = reason or f"must be {value!r}"

    def check(self, value: Any) -> None:
        """Accept the constant only, with its exact case."""
        if value != self.value:
            raise ValidationError(self.reason)


class OneOf(SpecField):
    """A string from an enumeration, e.g. ``interactionType`` (Data 2.4.4.1), case-sensitive."""

    def __init__(self, choices: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = frozenset(choices)
        self.reason = "must be one of " + ", ".join(sorted(self.choices))

    def check(self, value: Any) -> None:
        """Accept a listed value only."""
        if value.__class__ is not str or value not in self.choices:
            raise ValidationError(self.reason)


class Iri(SpecField):
    """An absolute IRI (Data 4.3); also used for IRLs, which are IRIs that resolve."""

    reason = "must be an absolute IRI with a scheme, e.g. https://..."

    def check(self, value: Any) -> None:
        """Accept an IRI with a scheme."""
        if not is_iri(value):
            raise ValidationError(self.reason)


class MailtoIri(SpecField):
    """An ``mbox``: "mailto:" and one email address (Data 2.4.2.3)."""

    reason = "must be a mailto IRI, e.g. mailto:someone@example.org"

    def check(self, value: Any) -> None:
        """Accept mailto:local@domain."""
        if not is_mailto_iri(value):
            raise ValidationError(self.reason)


class Sha1Hex(SpecField):
    """An ``mbox_sha1sum``: the SHA-1 of a mailto IRI in hex (Data 2.4.2.3)."""

    reason = "must be a SHA-1 hash in hex (40 characters)"

    def check(self, value: Any) -> None:
        """Accept 40 hex digits."""
        if not is_sha1_hex(value):
            raise ValidationError(self.reason)


class Sha2Hex(SpecField):
    """An attachment's ``sha2`` (Data 2.4.11)."""

    reason = "must be a SHA-2 hash in hex (e.g. 64 characters for SHA-256)"

    def check(self, value: Any) -> None:
        """Accept a SHA-224/256/384/512 hex digest."""
        if not is_sha2_hex(value):
            raise ValidationError(self.reason)


class MediaType(SpecField):
    """An attachment's ``contentType``: an Internet Media Type (Data 2.4.11)."""

    reason = "must be an Internet Media Type, e.g. text/plain"

    def check(self, value: Any) -> None:
        """Accept type/subtype with optional parameters."""
        if not is_media_type(value):
            raise ValidationError(self.reason)


class Uuid(SpecField):
    """A UUID in standard string form (Data 4.4)."""

    reason = "must be a UUID, e.g. 12345678-1234-5678-1234-567812345678"

    def check(self, value: Any) -> None:
        """Accept 8-4-4-4-12 hex digits."""
        if not is_uuid(value):
            raise ValidationError(self.reason)


class LanguageTag(SpecField):
    """An RFC 5646 language tag, e.g. ``context.language`` (Data 2.4.6)."""

    reason = "must be an RFC 5646 language tag, e.g. en or id-ID"

    def check(self, value: Any) -> None:
        """Accept a well-formed tag."""
        if not is_language_tag(value):
            raise ValidationError(self.reason)


class LanguageMap(SpecField):
    """A language map: RFC 5646 tags to strings (Data 4.2); empty strings are legal."""

    reason = "must be a language map (an object of language tag to string)"

    def check(self, value: Any) -> None:
        """Accept an object whose keys are language tags and whose values are strings."""
        if value.__class__ is not dict:
            raise ValidationError(self.reason)
        for tag, text in value.items():
            if tag not in _VALID_TAGS and not is_language_tag(tag):
                raise ValidationError({tag: ["is not an RFC 5646 language tag"]})
            if text.__class__ is not str:
                reason = NULL_REASON if text is None else "must be a string"
                raise ValidationError({tag: [reason]})
            if NUL in text:
                raise ValidationError({tag: [NUL_REASON]})


class Extensions(SpecField):
    """An extensions map (Data 4.1): keys are IRIs, values any JSON, null included."""

    reason = "must be an object whose keys are IRIs"

    def check(self, value: Any) -> None:
        """Accept an object with IRI keys; "An LRS MUST NOT reject a Statement based on the values"
        (Data 4.1), so values, null included, are not checked."""
        if value.__class__ is not dict:
            raise ValidationError(self.reason)
        for key, item in value.items():
            if key not in _VALID_IRIS and not is_iri(key):
                raise ValidationError({key: ["extension keys must be IRIs with a scheme"]})
            if item.__class__ in _CONTAINERS_AND_TEXT:
                try:
                    check_storable_json(item)
                except ValidationError as error:
                    raise ValidationError({key: error.messages}) from None


_CONTAINERS_AND_TEXT: Final = (dict, list, str)


def check_storable_json(value: Any, depth: int = 1) -> None:
    """Raise ValidationError (nested under the offending keys) if ``value`` cannot be stored.

    The values "an LRS MUST NOT reject a Statement based on" (Data 4.1) must still be storable:
    no NUL in any text or key, and no deeper than :data:`MAX_JSON_DEPTH`.
    """
    kind = value.__class__
    if kind is str:
        if NUL in value:
            raise ValidationError(NUL_REASON)
        return
    if kind is dict:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif kind is list:
        items = enumerate(value)
    else:
        return
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(f"nests deeper than {MAX_JSON_DEPTH} levels")
    for key, item in items:
        if key.__class__ is str and NUL in key:
            raise ValidationError({key: [f"the key {NUL_REASON}"]})
        kind = item.__class__
        if kind is str:  # most values: checked here rather than by a call
            if NUL in item:
                raise ValidationError({key: [NUL_REASON]})
        elif kind is dict or kind is list:
            try:
                check_storable_json(item, depth + 1)
            except ValidationError as error:
                raise ValidationError({key: error.messages}) from None


class Timestamp(SpecField):
    """An ISO 8601 timestamp (Data 4.5); xAPI 2.0.0 also requires the time zone."""

    def __init__(self, *, require_zone: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.require_zone = require_zone

    def check(self, value: Any) -> None:
        """Accept a real date and time in ISO 8601 (extended or basic)."""
        if not isinstance(value, str):
            raise ValidationError("must be a string holding an ISO 8601 timestamp")
        result = _timestamp_or_reason(value, self.require_zone)
        if result.__class__ is str:
            raise ValidationError(result)


class Duration(SpecField):
    """An ISO 8601 duration such as PT1H30M or PT4.92S (Data 4.6)."""

    reason = (
        f"must be an ISO 8601 duration with at most {MAX_DURATION_DIGITS} digits before and "
        "after a number's decimal separator, e.g. PT1H30M5.2S"
    )

    def check(self, value: Any) -> None:
        """Accept the ISO 8601:2004 4.4.3.2 format only."""
        if not is_iso8601_duration(value):
            raise ValidationError(self.reason)


class StatementVersion(SpecField):
    """A statement's ``version`` (Data 2.4.10): 1.0.x, and also 2.0.x under xAPI 2.0.0."""

    def __init__(self, version: XAPIVersion, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.version: XAPIVersion = version
        families = "1.0.x or 2.0.x" if version == VERSION_2 else "1.0 or 1.0.x"
        self.reason = (
            f"must be {families} under xAPI {version}, "
            f"at most {MAX_STATEMENT_VERSION_LENGTH} characters"
        )

    def check(self, value: Any) -> None:
        """Accept versions of the families this xAPI version serves."""
        if not is_statement_version(value, self.version):
            raise ValidationError(self.reason)


class Each(SpecField):
    """A JSON array whose every item passes ``item`` (e.g. Group ``member``, ``attachments``)."""

    def __init__(self, item: SpecField, *, min_items: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.min_items = min_items

    def check(self, value: Any) -> None:
        """Accept a list of valid items, at least ``min_items`` long."""
        if value.__class__ is not list:
            raise ValidationError("must be an array")
        if len(value) < self.min_items:
            raise ValidationError(f"must hold at least {self.min_items} item(s)")
        check = self.item.check
        for index, item in enumerate(value):
            try:
                check(item)
            except ValidationError as error:
                raise ValidationError({index: error.messages}) from None


class OneOrMany(SpecField):
    """One object or an array of them: contextActivities values (Data 2.4.6.2, for 0.95 data)."""

    def __init__(self, item: SpecField, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.many = Each(item)

    def check(self, value: Any) -> None:
        """Accept an object or a list of objects."""
        if value.__class__ is list:
            self.many.check(value)
        else:
            self.item.check(value)


class Nested(SpecField):
    """A JSON object validated by a checker, normally one of the object schemas of xapi.schemas."""

    def __init__(self, checker: Checker, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checker = checker

    def check(self, value: Any) -> None:
        """Delegate to the object's schema."""
        self.checker.check(value)


_DURATION_PARTS = re.compile(
    r"P(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
_SECONDS_PER_PART = {
    "years": 365 * 86400,  # calendar units have no fixed length; learning time never uses them
    "months": 30 * 86400,
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
}


def duration_seconds(value: str) -> float:
    """Seconds in an ISO 8601 duration (Data 4.6), e.g. ``PT1H30M`` → 5400.0.

    Raises BadRequest for anything :func:`is_iso8601_duration` rejects.
    """
    match = _DURATION_PARTS.fullmatch(value) if is_iso8601_duration(value) else None
    if match is None:
        raise BadRequest(f"duration {value!r} is not an ISO 8601 duration")
    return sum(
        float(amount.replace(",", ".")) * _SECONDS_PER_PART[name]
        for name, amount in match.groupdict().items()
        if amount is not None
    )
