"""The source documents that scenario and person files cite, and their citations in words.

Files cite a source document by its number ("seed 000: …"); a reader needs the document's name.
:func:`cite` rewrites each such reference with the name from ``sim/documents.yaml`` in a language.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

DOCUMENTS_FILE = Path(__file__).with_name("documents.yaml")
_REFERENCE = re.compile(r"\bseeds? (\d{3})(?:'s)?")
_CITATION = re.compile(r"^seed (\d{3}): (.*)$", re.DOTALL)


@functools.cache
def documents() -> dict[str, dict[str, str]]:
    """Document number (``"000"``) → its name by language (``{"zh": …, "en": …}``)."""
    data = yaml.safe_load(DOCUMENTS_FILE.read_text(encoding="utf-8"))
    return {str(number): dict(names) for number, names in data.items()}


def name(number: str, lang: str) -> str:
    """The name of document ``number`` in ``lang`` (``"en"`` or ``"zh"``); the number itself if unknown."""
    found = documents().get(number)
    if found is None:
        return f"seed {number}"
    return found.get(lang) or found["en"]


def cite(text: str, lang: str) -> str:
    """``text`` with every document number replaced by the document's name.

    Examples
    --------
    >>> cite("seed 004: 文化程度", "en").startswith("Zhenhai District government")
    True
    """
    names = documents()
    whole = _CITATION.match(text)
    if whole and whole.group(1) in names:
        # "seed 000: <the document's own title> (…)": the name says it all.
        rest = whole.group(2)
        title = rest.split(" (")[0].strip()
        if title and (title[:10] in name(whole.group(1), "zh") or title[:10] in name(whole.group(1), "en")):
            return name(whole.group(1), lang)

    def replace(match: re.Match[str]) -> str:
        number = match.group(1)
        return f"“{name(number, lang)}”" if number in names else match.group(0)

    return _REFERENCE.sub(replace, text)
