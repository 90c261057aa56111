"""The X-Experience-API-Version header picks the rules of a request (Communication 3.3)."""

from __future__ import annotations

import pytest

from xapi.errors import BadRequest
from xapi.versions import HEADER, SUPPORTED, VERSION_1, VERSION_2, negotiate


@pytest.mark.parametrize("header", ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.9", " 1.0.3 "])
def test_any_1_0_x_header_is_served_as_1_0_3(header: str) -> None:
    assert negotiate(header) == VERSION_1


@pytest.mark.parametrize("header", ["2.0", "2.0.0", "2.0.1"])
def test_any_2_0_x_header_is_served_as_2_0_0(header: str) -> None:
    assert negotiate(header) == VERSION_2


@pytest.mark.parametrize(
    "header", ["0.9", "0.95", "1.1.0", "2.1.0", "3.0.0", "1", "1.0.", "1.0.3-beta", "latest"]
)
def test_unsupported_version_header_is_a_bad_request(header: str) -> None:
    with pytest.raises(BadRequest, match="unsupported") as caught:
        negotiate(header)
    assert caught.value.status == 400


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_version_header_is_a_bad_request(header: str | None) -> None:
    with pytest.raises(BadRequest, match=HEADER):
        negotiate(header)


def test_every_advertised_version_is_accepted() -> None:
    assert {negotiate(version) for version in SUPPORTED} == {VERSION_1, VERSION_2}
