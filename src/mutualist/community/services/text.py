"""Text no database can store, refused before anything is written.

PostgreSQL refuses NUL in text, and no database can encode an unpaired
surrogate as UTF-8. The pages' forms and the API's edge refuse both already;
the services refuse them too, so a command, the demo or a future caller gets
the same clear ``invalid_characters`` instead of a database error.
"""

from __future__ import annotations

import re

from mutualist.core.errors import ValidationFailed

_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
MESSAGE = "Text may not contain NUL (U+0000) or unpaired surrogates (U+D800-U+DFFF)."


def refuse_unstorable(value: str, *, field: str, allow_nul: bool = False) -> str:
    """``value`` unchanged, or the refusal. ``allow_nul`` for HTML that nh3
    cleans before it is stored (it drops NUL, as a browser's parser does)."""
    pattern = _SURROGATE if allow_nul else _NUL_OR_SURROGATE
    if value and pattern.search(value):
        raise ValidationFailed(MESSAGE, code="invalid_characters", field=field)
    return value
