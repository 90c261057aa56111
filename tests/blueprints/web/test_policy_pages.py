"""The JP policy page: an upload is validated (line and rule id named), its dry run lists
the exact JP changes and changes nothing, applying it makes the ledger match them, and
every process picks the applied policy up."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import delete

from lms_bridge.audit.trail import history
from lms_bridge.credit import active_policy, current_policy
from lms_bridge.credit.active_policy import ActivePolicy
from lms_bridge.credit.policy import DEFAULT_POLICY_FILE
from lms_bridge.credit.reports import person_credit
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import StoredPolicy
from lms_bridge.people import import_people
from tests.blueprints.web.conftest import LAMPUNG, PageClient
from tests.conftest import create_moodle_client, moodle_headers
from tests.people import person_row
from tests.statements import NIP_A, NIP_B, asn, completion

DEFAULT = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
THIRTY_MINUTE_JP = DEFAULT.replace('version: "2025.1"', 'version: "2025.2"').replace(
    "minutes_per_jp: 45 ", "minutes_per_jp: 30 "
)


def restore_file_policy(pages: PageClient) -> None:
    """Put the session-wide app back on the policy file (other tests expect it)."""
    with pages.app.app_context():
        with unit_of_work() as session:
            session.execute(delete(StoredPolicy))
        holder = active_policy()
        holder.adopt(None, holder.file_policy)
        db.session.remove()


@pytest.fixture
def credited(admin: PageClient) -> Iterator[PageClient]:
    """Two people with 90 minutes (2 JP under 45-minute JP) and 45 minutes (1 JP) in 2025."""
    with admin.app.app_context():
        import_people(
            [
                person_row(NIP_A, "Siti Aminah", agency=LAMPUNG),
                person_row(NIP_B, "I Made Budi", agency=LAMPUNG),
            ]
        )
        create_moodle_client()
    response = admin.app.test_client().post(
        "/xapi/statements",
        json=[completion(minutes=90), completion(actor=asn(NIP_B), module=2, minutes=45)],
        headers=moodle_headers(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    yield admin
    restore_file_policy(admin)


def upload(pages: PageClient, text: str) -> object:
    return pages.client.post(
        "/admin/policy",
        data={"csrf_token": pages.token(), "file": (io.BytesIO(text.encode()), "policy.yaml")},
        content_type="multipart/form-data",
    )


def total(pages: PageClient, nip: str) -> Decimal:
    with pages.app.app_context():
        jp = person_credit(db.session(), current_policy(), nip, 2025).total_jp
        db.session.remove()
    return jp


def change_row(html: str, nip: str) -> str:
    return html.split(f'data-nip="{nip}" data-year="2025">', 1)[1].split("</tr>", 1)[0]


def test_the_dry_run_lists_the_exact_changes_and_applying_gives_them(
    credited: PageClient,
) -> None:
    uploaded = upload(credited, THIRTY_MINUTE_JP)
    assert uploaded.status_code == 302  # type: ignore[attr-defined]
    preview = credited.get(uploaded.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert '<td class="number">2</td><td class="number">3</td>' in change_row(preview, NIP_A)
    assert '<td class="number">1</td><td class="number">1,5</td>' in change_row(preview, NIP_B)
    assert (total(credited, NIP_A), total(credited, NIP_B)) == (2, 1)  # nothing applied yet
    with credited.app.app_context():
        assert active_policy().get().version == "2025.1"
        db.session.remove()

    policy_id = uploaded.headers["Location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    applied = credited.post_form(f"/admin/policy/{policy_id}/apply", {})
    assert applied.status_code == 302
    assert (total(credited, NIP_A), total(credited, NIP_B)) == (3, Decimal("1.5"))
    page = credited.get("/admin/policy").get_data(as_text=True)
    assert "2025.2" in page
    with credited.app.app_context():
        # Another process (a fresh view of the active policy) runs the applied one too.
        elsewhere = ActivePolicy(active_policy().file_policy)
        assert elsewhere.get().version == "2025.2"
        actions = [e.action for e in history(db.session(), "policy", policy_id)]
        assert actions == ["policy.upload", "policy.apply"]
        db.session.remove()
    # A statement stored now is credited under the applied policy.
    posted = credited.app.test_client().post(
        "/xapi/statements",
        json=completion(module=3, minutes=60, timestamp="2025-04-01T02:00:00Z"),
        headers=moodle_headers(),
    )
    assert posted.status_code == 200
    assert total(credited, NIP_A) == 5


def test_an_invalid_policy_names_the_line_and_rule_and_stores_nothing(
    credited: PageClient,
) -> None:
    broken = DEFAULT.replace("      method: duration", "      method: by-feel", 1)
    refused = upload(credited, broken)
    html = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "rules[elearning-duration].jp.method" in html
    line = next(
        n for n, text in enumerate(DEFAULT.splitlines(), 1) if text == "      method: duration"
    )
    assert f"(baris/line {line})" in html
    not_yaml = upload(credited, "rules: [\n")
    assert not_yaml.status_code == 400  # type: ignore[attr-defined]
    assert "bukan YAML yang sah" in not_yaml.get_data(as_text=True)  # type: ignore[attr-defined]
    with credited.app.app_context():
        assert db.session.query(StoredPolicy).count() == 0
        db.session.remove()
    assert credited.get("/admin/policy/9999").status_code == 404
    assert credited.post_form("/admin/policy/9999/apply", {}).status_code == 404


def test_only_admins_see_the_policy(pages: PageClient) -> None:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    assert pages.get("/admin/policy").status_code == 403
    assert pages.post_form("/admin/policy/1/apply", {}).status_code == 403
