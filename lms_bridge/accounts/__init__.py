"""People's accounts, sign-in and what a signed-in person may see.

Separate from LMS client keys (:mod:`lms_bridge.access`): a client is a machine with scopes,
a principal is a person with a role and the agencies it names.
"""

from lms_bridge.accounts.assignments import assign_cohort, assign_participant
from lms_bridge.accounts.principal import ROLES, Principal
from lms_bridge.accounts.signin import SigninResult, authenticate, record_signout
from lms_bridge.accounts.sso import ProviderIdentity, sign_in_by_identity
from lms_bridge.accounts.users import (
    AccountError,
    AccountInvalid,
    AccountLine,
    AccountNotFound,
    IssuedPassword,
    PasswordRejected,
    SessionAccount,
    WrongPassword,
    change_access,
    change_password,
    create_user,
    disable_user,
    list_users,
    load_session_account,
    reset_password,
)

__all__ = [
    "ROLES",
    "AccountError",
    "AccountInvalid",
    "AccountLine",
    "AccountNotFound",
    "IssuedPassword",
    "PasswordRejected",
    "Principal",
    "ProviderIdentity",
    "SessionAccount",
    "SigninResult",
    "WrongPassword",
    "assign_cohort",
    "assign_participant",
    "authenticate",
    "change_access",
    "change_password",
    "create_user",
    "disable_user",
    "list_users",
    "load_session_account",
    "record_signout",
    "reset_password",
    "sign_in_by_identity",
]
