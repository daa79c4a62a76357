"""French values out of multilingual fields, and contact details masked in free text.

OpenAgenda stores text as `{"fr": ..., "en": ...}`. We publish one value: French first,
then the languages of `order` (default: English), then the remaining languages in
alphabetical order, so the choice is stable. Which language was used when it was not
French is returned, for the row's trace, never silently.

Descriptions written by contributors carry e-mail addresses and phone numbers, sometimes
of private persons: `mask_contacts` replaces them before anything is published.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_ORDER = ("fr", "en")
NOT_LANGUAGES = frozenset({"code"})  # OpenAgenda `country` carries a code beside languages

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+33\s?(?:\(0\)\s?)?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b")
EMAIL_MASK = "[courriel masqué]"
PHONE_MASK = "[téléphone masqué]"


def pick(value: Any, order: tuple[str, ...] = DEFAULT_ORDER) -> tuple[Any, str | None]:
    """(value in the first available language, that language) — (None, None) if empty."""
    if not isinstance(value, dict):
        return value, None
    languages = [k for k in value if k not in NOT_LANGUAGES and value[k] not in (None, "", [])]
    if not languages:
        return None, None
    ranked = [lang for lang in order if lang in languages]
    ranked += sorted(lang for lang in languages if lang not in order)
    return value[ranked[0]], ranked[0]


def mask_contacts(text: str | None) -> tuple[str | None, int]:
    """The text with e-mails and French phone numbers masked, and how many were masked."""
    if not text:
        return text, 0
    text, emails = EMAIL.subn(EMAIL_MASK, text)
    text, phones = PHONE.subn(PHONE_MASK, text)
    return text, emails + phones
