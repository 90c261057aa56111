"""Pages refuse what no query can carry, as both APIs do: a NUL or an integer beyond 64
bits in a parameter or a form field is a 400 page in the person's language, never a 500."""

from __future__ import annotations

import pytest

from tests.blueprints.web.conftest import PageClient

LAMPUNG = "BPSDM Provinsi Lampung"


@pytest.mark.parametrize(
    "path",
    [
        "/queue?unit=%00",
        "/queue?after=%00",
        "/statements?verb=%00",
        f"/agencies/{LAMPUNG}/2025?unit=a%00b",
        "/people/19850330%002010121002",
        "/entries/99999999999999999999999",
        "/cohorts/99999999999999999999999",
    ],
)
def test_a_page_parameter_no_query_can_carry_is_a_400_page(pages: PageClient, path: str) -> None:
    pages.make_person("admin@lampung.go.id", "admin")
    pages.sign_in("admin@lampung.go.id")
    answer = pages.get(path)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert "karakter yang tidak dapat disimpan" in answer.get_data(as_text=True)


def test_a_form_field_with_nul_is_refused_before_anything_is_stored(pages: PageClient) -> None:
    answer = pages.post_form("/login", {"email": "a\x00@lampung.go.id", "password": "x"})
    assert answer.status_code == 400
    assert "karakter yang tidak dapat disimpan" in answer.get_data(as_text=True)
