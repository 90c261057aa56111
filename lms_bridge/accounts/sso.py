"""Single sign-on: an identity an OpenID Connect provider vouched for, mapped to an account.

The provider's ID token was verified by the caller (signature against the provider's JWKS,
issuer, audience, expiry, nonce); what is decided here is which account it is. SSO never
creates an account nor changes a role (those stay the administrator's): the identity maps to
an existing active account by its NIP claim when an account carries that NIP, otherwise by
its e-mail, and the e-mail only when the provider says it verified it. An account whose NIP
differs from the one the provider sent is never taken by e-mail. Every outcome is audited
with the provider's ``sub``; a refusal says nothing about which accounts exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.accounts.signin import SigninResult
from lms_bridge.accounts.users import normalise_email, principal_of
from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import User
from lms_bridge.people.nip import is_nip_shaped, normalise_nip


@dataclass(frozen=True)
class ProviderIdentity:
    """What the provider's verified ID token says about the person."""

    issuer: str
    subject: str
    nip: str | None
    email: str | None
    email_verified: bool

    @classmethod
    def from_claims(
        cls, claims: Mapping[str, object], *, nip_claim: str, email_claim: str
    ) -> ProviderIdentity:
        """Read the claims the settings name; anything not a string counts as absent."""
        nip = claims.get(nip_claim)
        email = claims.get(email_claim)
        return cls(
            issuer=str(claims.get("iss", "")),
            subject=str(claims.get("sub", "")),
            nip=normalise_nip(nip) if isinstance(nip, str) and nip.strip() else None,
            email=normalise_email(email) if isinstance(email, str) and email.strip() else None,
            email_verified=claims.get("email_verified") is True,
        )


def _account_of(session: Session, identity: ProviderIdentity) -> User | None:
    if identity.nip is not None and is_nip_shaped(identity.nip):
        user = session.scalar(select(User).where(User.nip == identity.nip).with_for_update())
        if user is not None:
            return user
    if identity.email is not None and identity.email_verified:
        user = session.scalar(select(User).where(User.email == identity.email).with_for_update())
        if user is not None and (user.nip is None or user.nip == identity.nip):
            return user
    return None


def sign_in_by_identity(identity: ProviderIdentity, *, address: str) -> SigninResult:
    """The account ``identity`` maps to, signed in (last sign-in time set), or a failure.

    A one-time password's forced change does not apply to an SSO sign-in (the person never
    used the password), so ``must_change_password`` is False in the result.
    """
    with unit_of_work() as session:
        user = _account_of(session, identity)
        audited = {
            "address": address[:64],
            "issuer": identity.issuer,
            "sub": identity.subject,
        }
        if user is None or not user.active:
            record_event(
                session,
                actor=f"sso:{identity.subject}"[:320],
                action="signin.sso_refused",
                subject_type="user",
                subject_id=user.email if user is not None else "-",
                after={**audited, "reason": "disabled" if user is not None else "no_account"},
            )
            return SigninResult("failure")
        user.last_signin_at = utcnow()
        user.failed_signins = 0
        record_event(
            session,
            actor=user.email,
            action="signin.sso",
            subject_type="user",
            subject_id=user.email,
            after=audited,
        )
        return SigninResult("success", principal_of(session, user), user.session_token, False)
