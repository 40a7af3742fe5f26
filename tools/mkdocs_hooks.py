"""MkDocs hooks (`hooks:` in mkdocs.yml).

A recipe links the example file its code is included from (`[examples/x.py](../examples/x.py)`), for
readers on a forge or in an editor, who see the include marker rather than the code. The site shows the
code itself, and the file is not part of it: there the link becomes the file's name.
"""

from __future__ import annotations

import re
from typing import Any

_EXAMPLE_LINK = re.compile(r"\[(`?[^\]]+?`?)\]\(\.\./examples/[^)\s]+\)")


def on_page_markdown(markdown: str, **_: Any) -> str:
    return _EXAMPLE_LINK.sub(r"\1", markdown)
