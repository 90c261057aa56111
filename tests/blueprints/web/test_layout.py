"""The layout's building blocks: filters, downloads, error pages, headers, role checks."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import Blueprint, Flask
from openpyxl import load_workbook
from werkzeug.exceptions import NotFound

from blueprints.web import i18n
from blueprints.web.access import role_required
from blueprints.web.downloads import safe_filename, send_table
from blueprints.web.headers import PAGE_HEADERS
from blueprints.web.i18n import decimal_number, local_date, local_datetime
from lms_bridge.accounts import create_user
from lms_bridge.app import create_app
from lms_bridge.exports import Table
from tests.blueprints.web.conftest import LAMPUNG, PASSWORD, PageClient
from tests.conftest import HASH_METHOD, empty_all_tables, make_settings

MOMENT = datetime(2026, 12, 3, 23, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "number", "moment", "day"),
    [
        ("id", "1.234,5", "4 Des 2026 06.05 WIB", "4 Des 2026"),
        ("en", "1,234.5", "4 Dec 2026 06:05 WIB", "4 Dec 2026"),
    ],
)
def test_numbers_and_times_read_as_the_person_reads_them(
    app: Flask, locale: str, number: str, moment: str, day: str
) -> None:
    with app.test_request_context("/", headers={"Cookie": f"lang={locale}"}):
        assert decimal_number(Decimal("1234.5")) == number
        assert local_datetime(MOMENT) == moment
        assert local_date(MOMENT) == day
        assert local_date(date(2026, 12, 4)) == day
        assert local_datetime(None) == ""


def test_times_follow_the_policys_zone(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    class Makassar:
        time_zone = ZoneInfo("Asia/Makassar")

    monkeypatch.setattr(i18n, "current_policy", lambda: Makassar)
    with app.test_request_context("/"):
        assert local_datetime(MOMENT).endswith("07.05 WITA")


def test_a_table_downloads_as_csv_and_xlsx_with_a_safe_name(app: Flask) -> None:
    table = Table(["Nama", "JP"], [["=HYPERLINK(1)", Decimal("20.5")]])
    with app.test_request_context("/"):
        csv_response = send_table(table, 'Rekap "JP" Lampung/2026', "csv")
        xlsx_response = send_table(table, "Rekap JP", "xlsx", sheet_title="Rekap")
    assert csv_response.headers["Content-Disposition"] == (
        'attachment; filename="Rekap-JP-Lampung-2026.csv"'
    )
    assert csv_response.get_data().startswith(b"\xef\xbb\xbf")
    sheet = load_workbook(io.BytesIO(xlsx_response.get_data())).active
    assert sheet is not None
    assert [cell.value for cell in sheet[2]] == ["'=HYPERLINK(1)", 20.5]
    assert safe_filename("Instansi Ñusa\r\nSet-Cookie: x") == "Instansi-Nusa-Set-Cookie-x"
    assert safe_filename("../..") == "table"


def test_an_unknown_download_format_is_404(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(NotFound):
        send_table(Table(["a"]), "x", "pdf")


def test_a_wrong_role_gets_a_403_page_and_anonymous_goes_to_login(
    database_url: str,
) -> None:
    """A page for auditors only, on an app of its own (pages are added before requests)."""
    application = create_app(make_settings(database_url))
    extra = Blueprint("audit_only", __name__)

    @extra.route("/audit-only")
    @role_required("auditor")
    def audit_only() -> str:
        return "for auditors"

    application.register_blueprint(extra)
    pages = PageClient(application)
    with application.app_context():
        empty_all_tables()
    assert pages.get("/audit-only").headers["Location"] == "/login?next=/audit-only"
    pages.make_person("viewer@x.id", "viewer", LAMPUNG)
    pages.sign_in("viewer@x.id")
    refused = pages.get("/audit-only")
    assert refused.status_code == 403
    assert "Anda tidak boleh membuka halaman ini" in refused.get_data(as_text=True)
    pages.post_form("/logout", {})
    pages.make_person("auditor@x.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@x.id")
    assert pages.get("/audit-only").get_data(as_text=True) == "for auditors"


def test_pages_carry_security_headers_and_machine_paths_do_not(
    viewer_lampung: PageClient,
) -> None:
    page = viewer_lampung.get("/")
    for name, value in PAGE_HEADERS.items():
        assert page.headers[name] == value
    assert page.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in viewer_lampung.get("/no-such-page").headers
    machine = viewer_lampung.get("/xapi/about")
    assert "Content-Security-Policy" not in machine.headers
    assert "Set-Cookie" not in machine.headers


def test_behind_a_trusted_proxy_each_persons_address_is_counted(database_url: str) -> None:
    """With PROXY_HOPS=1, failures from one forwarded address do not lock out another."""
    application = create_app(make_settings(database_url, proxy_hops=1))
    pages = PageClient(application)
    with application.app_context():
        empty_all_tables()
    pages.make_person("a@x.id", "viewer", LAMPUNG)
    for number in range(30):
        pages.client.post(
            "/login",
            data={"email": f"g{number}@x.id", "password": "x", "csrf_token": pages.token()},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    signed_in = pages.client.post(
        "/login",
        data={"email": "a@x.id", "password": PASSWORD, "csrf_token": pages.token()},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert signed_in.status_code == 302
    pages.post_form("/logout", {})
    from_guesser = pages.client.post(
        "/login",
        data={"email": "a@x.id", "password": PASSWORD, "csrf_token": pages.token()},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert from_guesser.status_code == 429


def test_an_unexpected_error_on_a_page_is_a_500_page_that_reveals_nothing(
    database_url: str,
) -> None:
    application = create_app(make_settings(database_url))
    broken = Blueprint("broken", __name__)

    @broken.route("/broken")
    def fails() -> str:
        raise RuntimeError("password=hunter2 at db.internal")

    application.register_blueprint(broken)
    response = application.test_client().get("/broken")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Terjadi kesalahan di sisi kami" in page
    assert "hunter2" not in page


def test_what_people_typed_is_shown_as_text(pages: PageClient) -> None:
    with pages.app.app_context():
        create_user(
            "x@x.id",
            "<script>alert(1)</script>",
            "viewer",
            ["<img src=x onerror=alert(2)>"],
            password=PASSWORD,
            actor="test",
            hash_method=HASH_METHOD,
        )
    pages.sign_in("x@x.id")
    page = pages.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
