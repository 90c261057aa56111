"""Rows of the ASN directory, as an agency's people file holds them."""

from __future__ import annotations

from lms_bridge.people import import_people

AGENCY = "Pemerintah Provinsi Lampung"
OTHER_AGENCY = "Pemerintah Kota Bandar Lampung"
NIP_PPPK = "199203152022211003"


def person_row(
    nip: str,
    name: str,
    *,
    agency: str = AGENCY,
    employment: str = "PNS",
    email: str = "",
    unit: str = "Badan Pengembangan SDM",
    position: str = "",
) -> dict[str, str]:
    """One person of the directory: a PNS of the province's BPSDM unless told otherwise."""
    return {
        "nip": nip,
        "name": name,
        "agency": agency,
        "unit": unit,
        "position": position,
        "email": email,
        "employment": employment,
    }


def add_people(*rows: dict[str, str]) -> None:
    """Store these rows in the directory."""
    import_people(list(rows))
