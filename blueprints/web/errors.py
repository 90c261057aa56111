"""Error pages in the person's language (403, 404, 500 and the rest of HTTP's errors)."""

from __future__ import annotations

from flask import Response, make_response, render_template
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from blueprints.web.headers import page_headers

TITLES = {
    400: lazy_gettext("The request could not be understood"),
    401: lazy_gettext("Please sign in"),
    403: lazy_gettext("You may not open this page"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("This page does not accept that request"),
    413: lazy_gettext("What you sent is too large"),
    500: lazy_gettext("Something went wrong on our side"),
}
EXPLANATIONS = {
    403: lazy_gettext("Your role does not allow this page. Ask an administrator if you need it."),
    404: lazy_gettext("The page does not exist, or it is not yours to see."),
    500: lazy_gettext("The error was logged. Please try again in a moment."),
}
UNSTORABLE_EXPLANATION = lazy_gettext(
    "A field holds a character that cannot be stored (NUL) or a number that is too large. "
    "Check what you entered and try again."
)


class UnstorableInput(BadRequest):
    """A page's parameter or form field holds what no query can carry (NUL, beyond 64 bits)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: cannot be stored")
        self.field = field


CSRF_EXPLANATION = lazy_gettext(
    "The form expired or did not come from this site. Go back, reload the page and try again."
)


def error_page(code: int, error: HTTPException | None = None) -> Response:
    """Render the error page for ``code`` (no database access: it must work when that fails)."""
    if isinstance(error, CSRFError):
        explanation = CSRF_EXPLANATION
    elif isinstance(error, UnstorableInput):
        explanation = UNSTORABLE_EXPLANATION
    else:
        explanation = EXPLANATIONS.get(code)
    response = make_response(
        render_template(
            "web/error.html",
            code=code,
            title=TITLES.get(code, TITLES[400 if code < 500 else 500]),
            explanation=explanation,
            bare=code >= 500,
        ),
        code,
    )
    return page_headers(response)
