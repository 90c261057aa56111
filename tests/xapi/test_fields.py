"""The xAPI value types: IRIs, mailto IRIs, language tags, UUIDs, timestamps, durations,
statement versions, and Agent parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from xapi.errors import BadRequest
from xapi.fields import (
    Each,
    LanguageMap,
    OneOrMany,
    StrictBoolean,
    StrictInteger,
    StrictNumber,
    duration_seconds,
    is_iri,
    is_iso8601_duration,
    is_language_tag,
    is_mailto_iri,
    is_media_type,
    is_sha1_hex,
    is_sha2_hex,
    is_statement_version,
    is_uuid,
    parse_agent,
    parse_timestamp,
)
from xapi.versions import VERSION_1, VERSION_2


@pytest.mark.parametrize(
    "value",
    [
        "http://adlnet.gov/expapi/verbs/completed",
        "https://lms.example.go.id/mod/quiz/view.php?id=7#q1",
        "urn:uuid:8f87ccde-bb56-4c2e-ab83-44982ef22df0",
        "mailto:someone@example.org",
        "https://brindlewaye.com/xAPITerms/verbs/loggedin/",
        "http://example.com/فعل/خواندن",
        "http://example.com/a%20b",
    ],
)
def test_iri_with_a_scheme_is_an_iri(value: str) -> None:
    assert is_iri(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not.a.valid.iri.com/verb",
        "9d1e0e0c-1111-2222-3333-444455556666",  # a bare UUID has no scheme
        "ab=c://should.fail.com",
        "http://example.com/my verb",
        "http://example.com/%zz",
        "X:\\meetings\\minutes",
        "http:",
        12345,
        None,
    ],
)
def test_value_without_a_scheme_or_with_illegal_characters_is_not_an_iri(value: object) -> None:
    assert not is_iri(value)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("mailto:xapi@adlnet.gov", True),
        ("mailto:first.last+tag@example.co.id", True),
        ("xapi@adlnet.gov", False),
        ("mailto:", False),
        ("mailto:@example.org", False),
        ("mailto:someone@", False),
        ("mailto:a@b@example.org", False),
        ("mailto:some one@example.org", False),
    ],
)
def test_mbox_must_be_mailto_and_one_address(value: str, valid: bool) -> None:
    assert is_mailto_iri(value) is valid


@pytest.mark.parametrize(
    "tag",
    [
        "en",
        "en-US",
        "id-ID",
        "zh-Hant-TW",
        "und",
        "tlh",
        "es-419",
        "de-CH-1996",
        "x-klingon",
        "i-klingon",
    ],
)
def test_rfc_5646_language_tag_is_accepted(tag: str) -> None:
    assert is_language_tag(tag)


@pytest.mark.parametrize("tag", ["", "a12345678", "en_US", "en-", "-en", "english language", "e"])
def test_malformed_language_tag_is_rejected(tag: str) -> None:
    assert not is_language_tag(tag)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("8f87ccde-bb56-4c2e-ab83-44982ef22df0", True),
        ("8F87CCDE-BB56-4C2E-AB83-44982EF22DF0", True),
        ("00000000-0000-0000-0000-000000000000", True),  # any version and variant
        ("8f87ccde-bb56-9c2e-fb83-44982ef22df0", True),
        ("8f87ccdebb564c2eab8344982ef22df0", False),
        ("{8f87ccde-bb56-4c2e-ab83-44982ef22df0}", False),
        ("8f87ccde-bb56-4c2e-ab83-44982ef22df", False),
        ("gf87ccde-bb56-4c2e-ab83-44982ef22df0", False),
    ],
)
def test_uuid_must_be_in_standard_string_form(value: str, valid: bool) -> None:
    assert is_uuid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("PT1H0M0S", True),
        ("PT16559.14S", True),
        ("P3Y1M29DT4H35M59.14S", True),
        ("P3Y", True),
        ("P4W", True),
        ("PT0,5S", True),
        ("P0.5Y", True),
        ("PT4.92S", True),
        ("P4W1D", False),
        ("PT1.5H30M", False),
        ("P", False),
        ("PT", False),
        ("PA1H0M0S", False),
        ("pt1s", False),
        ("P0003-02-01T00:00:00", False),  # the alternative format (ISO 8601 4.4.3.3)
        ("1 hour", False),
    ],
)
def test_duration_must_use_the_iso_8601_duration_format(value: str, valid: bool) -> None:
    assert is_iso8601_duration(value) is valid


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        ("2015-06-10T14:31:41.000Z", datetime(2015, 6, 10, 14, 31, 41, tzinfo=UTC)),
        ("2015-06-10T14:31:41+08:00", datetime(2015, 6, 10, 6, 31, 41, tzinfo=UTC)),
        ("2023-05-04T12:00:00-05:00", datetime(2023, 5, 4, 17, 0, 0, tzinfo=UTC)),
        ("2023-05-04T12:00:00.1234567+00:00", datetime(2023, 5, 4, 12, 0, 0, 123456, tzinfo=UTC)),
        ("20150610T143141Z", datetime(2015, 6, 10, 14, 31, 41, tzinfo=UTC)),
        ("2015-06-10T14:31:41.5-0530", datetime(2015, 6, 10, 20, 1, 41, 500000, tzinfo=UTC)),
        ("2015-06-10T14:31Z", datetime(2015, 6, 10, 14, 31, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_timestamp_is_parsed_to_an_aware_instant(value: str, instant: datetime) -> None:
    parsed = parse_timestamp(value, require_zone=True)
    assert parsed == instant
    assert parsed.tzinfo is not None


def test_timestamp_keeps_its_offset() -> None:
    assert parse_timestamp("2015-06-10T14:31:41+07:00").utcoffset() == timedelta(hours=7)


def test_timestamp_without_zone_is_read_as_utc_unless_a_zone_is_required() -> None:
    assert parse_timestamp("2015-06-10T14:31:41").tzinfo == UTC
    with pytest.raises(BadRequest, match="time zone"):
        parse_timestamp("2015-06-10T14:31:41", require_zone=True)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("should fail", "ISO 8601"),
        ("01/011/2015", "ISO 8601"),
        ("2015-06-10", "ISO 8601"),
        ("2015-06-10 14:31:41Z", "ISO 8601"),
        ("2015-02-29T00:00:00Z", "real calendar"),
        ("2015-06-10T25:00:00Z", "real calendar"),
        ("2008-09-15T15:53:00.601-00:00", "-00:00"),
        ("2008-09-15T15:53:00.601-0000", "-00:00"),
        ("2008-09-15T15:53:00.601-00", "-00:00"),
        ("2015-06-10T14:31:41+24:00", "offset"),
    ],
)
def test_malformed_timestamp_is_a_bad_request(value: str, words: str) -> None:
    with pytest.raises(BadRequest, match=words) as caught:
        parse_timestamp(value)
    assert caught.value.status == 400


def test_timestamp_parameter_that_is_no_string_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        parse_timestamp(1700000000)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "v1", "v2"),
    [
        ("1.0", True, True),
        ("1.0.0", True, True),
        ("1.0.3", True, True),
        ("1.0.9", True, True),
        ("2.0.0", False, True),
        ("2.0", False, True),
        ("0.9.9", False, False),
        ("0.95", False, False),
        ("1.1.0", False, False),
        ("2.1.0", False, False),
        ("should fail", False, False),
        ("", False, False),
    ],
)
def test_statement_version_must_belong_to_the_request_version_family(
    value: str, v1: bool, v2: bool
) -> None:
    assert (is_statement_version(value, VERSION_1), is_statement_version(value, VERSION_2)) == (
        v1,
        v2,
    )


def test_sha_digests_are_hex_of_the_right_length() -> None:
    assert is_sha1_hex("cd9b00a5611f94eaa7b1661edab976068e364975")
    assert not is_sha1_hex("cd9b00a5611f94eaa7b1661edab976068e36497")
    assert is_sha2_hex("495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a")
    assert is_sha2_hex("ab" * 64)  # SHA-512
    assert not is_sha2_hex("ab" * 20)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("text/plain; charset=ascii", True),
        ("application/octet-stream", True),
        ("pdf", False),
        ("", False),
    ],
)
def test_content_type_is_an_internet_media_type(value: str, valid: bool) -> None:
    assert is_media_type(value) is valid


@pytest.mark.parametrize("value", ["true", 1, 0, None])
def test_boolean_field_refuses_strings_and_numbers(value: object) -> None:
    with pytest.raises(ValidationError, match="JSON boolean"):
        StrictBoolean().check(value)


@pytest.mark.parametrize("value", ["75", True, float("nan"), float("inf"), None, [1]])
def test_number_field_refuses_strings_booleans_and_non_finite_numbers(value: object) -> None:
    with pytest.raises(ValidationError, match="number"):
        StrictNumber().check(value)


def test_integer_field_accepts_integral_json_numbers_only() -> None:
    StrictInteger().check(27)
    StrictInteger().check(27.0)  # JSON does not tell 27 from 27.0
    for value in (27.5, -1, True, "27"):
        with pytest.raises(ValidationError):
            StrictInteger().check(value)


def test_language_map_error_names_the_offending_tag() -> None:
    with pytest.raises(ValidationError) as caught:
        LanguageMap().check({"en": "ok", "en_GB": "no"})
    assert caught.value.messages == {"en_GB": ["is not an RFC 5646 language tag"]}


def test_array_error_names_the_offending_index() -> None:
    with pytest.raises(ValidationError) as caught:
        Each(StrictBoolean()).check([True, "false"])
    assert list(caught.value.messages) == [1]  # type: ignore[arg-type]


def test_one_or_many_accepts_an_object_or_an_array_of_them() -> None:
    field = OneOrMany(StrictBoolean())
    field.check(True)
    field.check([True, False])
    with pytest.raises(ValidationError):
        field.check([True, "no"])


# ----------------------------------------------------------------------------- Agent parameters


@pytest.mark.parametrize(
    "agent",
    [
        {"mbox": "mailto:asn@example.go.id"},
        {
            "objectType": "Agent",
            "account": {"homePage": "https://lms.example.go.id", "name": "1985"},
        },
        {"objectType": "Group", "openid": "https://id.example.go.id/groups/batch-3"},
    ],
)
def test_agent_parameter_accepts_an_agent_or_identified_group_unchanged(
    agent: dict[str, object],
) -> None:
    assert parse_agent(agent) is agent


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        ("mailto:asn@example.go.id", "agent: must be a JSON object"),
        ({"name": "Budi"}, "agent: an Agent needs exactly one identifier"),
        ({"mbox": "asn@example.go.id"}, "agent.mbox: must be a mailto IRI"),
        (
            {"mbox": "mailto:a@x.org", "openid": "http://x.org/a"},
            "agent: an Agent needs exactly one",
        ),
        (
            {"objectType": "Group", "member": [{"mbox": "mailto:a@x.org"}]},
            "agent: must be an Agent or an identified",
        ),
        (
            {"objectType": "Person", "mbox": "mailto:a@x.org"},
            "agent.objectType: must be 'Agent' or 'Group'",
        ),
        ({"mbox": "mailto:a@x.org", "nip": "1985"}, "agent.nip: is not a property of an Agent"),
    ],
)
def test_bad_agent_parameter_is_a_bad_request_naming_the_property(
    agent: object, message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_agent(agent)
    assert caught.value.status == 400
    assert caught.value.message.startswith(message)


def test_agent_parameter_error_uses_the_parameter_name() -> None:
    with pytest.raises(BadRequest, match=r"^related_agent\.mbox: "):
        parse_agent({"mbox": "x"}, "related_agent")


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        ("PT1H30M", 5400.0),
        ("PT90M", 5400.0),
        ("PT0S", 0.0),
        ("PT4.92S", 4.92),
        ("P1DT2H", 93600.0),
        ("PT0H1M31S", 91.0),
        ("PT1,5H", 5400.0),
    ],
)
def test_duration_seconds_reads_iso_8601_durations(duration: str, seconds: float) -> None:
    assert duration_seconds(duration) == pytest.approx(seconds)


def test_duration_seconds_refuses_what_is_not_a_duration() -> None:
    with pytest.raises(BadRequest):
        duration_seconds("90 minutes")
