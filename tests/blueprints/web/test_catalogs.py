"""Every string a page shows is in the Indonesian catalog, translated (and the .po compiles)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.conftest import REPO_ROOT

TRANSLATIONS = REPO_ROOT / "blueprints" / "web" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def source_messages() -> set[str]:
    method_map = [
        ("blueprints/web/**.py", "python"),
        ("blueprints/web/templates/**.html", "jinja2"),
    ]
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO_ROOT), method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(locale: str) -> dict[str, object]:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        messages = read_po(po, locale=locale)
    return {
        (message.id if isinstance(message.id, str) else message.id[0]): message.string
        for message in messages
        if message.id
    }


def translated(value: object) -> bool:
    """A singular translation is a non-empty string; a plural one has every form filled."""
    if isinstance(value, tuple | list):
        return bool(value) and all(value)
    return bool(value)


def test_every_page_string_has_an_indonesian_translation() -> None:
    indonesian = catalog("id")
    untranslated = sorted(
        message for message in source_messages() if not translated(indonesian.get(message))
    )
    assert untranslated == [], "run `make messages` and translate these in id/messages.po"


def test_the_english_catalog_knows_every_string_too() -> None:
    missing = sorted(source_messages() - set(catalog("en")))
    assert missing == [], "run `make messages`"


def test_the_catalogs_compile(tmp_path: Path) -> None:
    for locale in ("id", "en"):
        with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
            messages = read_po(po, locale=locale)
        with (tmp_path / f"{locale}.mo").open("wb") as mo:
            write_mo(mo, messages)
        assert (tmp_path / f"{locale}.mo").stat().st_size > 100
