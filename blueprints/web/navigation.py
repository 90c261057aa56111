"""The header's navigation: each page module adds its entry here, naming who sees it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString, lazy_gettext

from lms_bridge.accounts import ROLES, Principal


@dataclass(frozen=True)
class NavItem:
    """A link in the header: endpoint, label (translated when shown), roles that see it."""

    endpoint: str
    label: LazyString
    roles: frozenset[str] = frozenset(ROLES)

    def shown_to(self, principal: Principal) -> bool:
        """Admins see every entry; others the entries naming their role."""
        return principal.is_admin or principal.role in self.roles


ROLE_LABELS = {
    "admin": lazy_gettext("administrator"),
    "auditor": lazy_gettext("auditor"),
    "viewer": lazy_gettext("viewer"),
    "instructor": lazy_gettext("instructor"),
    "coach": lazy_gettext("coach"),
    "organiser": lazy_gettext("organiser"),
}


def role_label(role: str) -> str:
    """A role's name in the person's language."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


NAVIGATION: list[NavItem] = [
    NavItem("web.home.index", lazy_gettext("Home")),
    NavItem(
        "web.queue.index", lazy_gettext("Verification queue"), frozenset({"auditor", "viewer"})
    ),
    NavItem("web.unmatched.index", lazy_gettext("Unmatched actors"), frozenset({"auditor"})),
    NavItem("web.exports.index", lazy_gettext("SIASN export"), frozenset({"auditor"})),
    NavItem("web.organisers.index", lazy_gettext("Cohorts"), frozenset({"organiser"})),
    NavItem("web.cohorts.index", lazy_gettext("My cohorts"), frozenset({"instructor", "coach"})),
    NavItem("web.statements.index", lazy_gettext("Statements"), frozenset({"auditor"})),
    NavItem("web.clients.index", lazy_gettext("LMS clients"), frozenset({"admin"})),
    NavItem("web.webhooks.index", lazy_gettext("Webhooks"), frozenset({"admin"})),
    NavItem("web.directory.index", lazy_gettext("People"), frozenset({"admin"})),
    NavItem("web.directory.identities", lazy_gettext("Identity mappings"), frozenset({"admin"})),
    NavItem("web.users.index", lazy_gettext("Users"), frozenset({"admin"})),
    NavItem("web.policy.index", lazy_gettext("JP policy"), frozenset({"admin"})),
    NavItem("web.account.password", lazy_gettext("Change password")),
]
"""In header order; a page module appends its item (one line) where it belongs."""
