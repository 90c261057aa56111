"""Version negotiation through the ``X-Experience-API-Version`` header.

xAPI 1.0.3 Communication 3.3: every request carries the header; the LRS rejects versions it
does not support with 400 and answers with the newest version it implements of the family.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from xapi.errors import BadRequest

XAPIVersion = Literal["1.0.3", "2.0.0"]

HEADER: Final = "X-Experience-API-Version"
VERSION_1: Final[XAPIVersion] = "1.0.3"
VERSION_2: Final[XAPIVersion] = "2.0.0"
SUPPORTED: Final = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
"""Versions the LRS advertises (About resource); any 1.0.x is served as 1.0.3, 2.0.x as 2.0.0."""

_FAMILY: Final = re.compile(r"(1|2)\.0(?:\.\d+)?")


def negotiate(header_value: str | None) -> XAPIVersion:
    """Map the request header to the version whose rules apply to this request.

    Communication 3.3: the LRS "MUST accept requests with a version header of 1.0 as if the
    version header was 1.0.0", "MUST accept requests with a version header starting with 1.0."
    and "MUST reject requests with a version header of 1.1.0 or greater"; 2.0.0 says the same of
    2.0 and 2.0.x. Anything else, including a missing header, is 400.
    """
    if header_value is None or not header_value.strip():
        raise BadRequest(f"the {HEADER} header is required")
    value = header_value.strip()
    match = _FAMILY.fullmatch(value)
    if match is None:
        raise BadRequest(f"unsupported {HEADER}: {value!r}; supported: {', '.join(SUPPORTED)}")
    return VERSION_2 if match.group(1) == "2" else VERSION_1
