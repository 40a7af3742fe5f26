"""Print the pinned, hash-checked requirements of the SDK's runtime, read from poetry.lock.

`make demo` installs these (pip --require-hashes) and nothing else: the demo needs the SDK and what it
imports, not Poetry and the whole dev toolchain. Versions, markers and hashes are the lock's own, so the
demo runs on exactly what `poetry sync` would install. Standard library only, Python 3.10 included
(no tomllib): the lock is read line by line, as Poetry writes it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "poetry.lock"


def requirements(text: str, group: str = "main") -> list[str]:
    lines = []
    for block in text.split("[[package]]")[1:]:
        head = block.split("\n[", 1)[0]  # up to the package's first sub-table
        fields = dict(re.findall(r"^(name|version|groups|markers|optional) = (.*)$", head, re.MULTILINE))
        # optional: an extra's package (the command line's Typer and rich), not the SDK's runtime
        if f'"{group}"' not in fields.get("groups", "") or fields.get("optional") == "true":
            continue
        name, version = fields["name"].strip('"'), fields["version"].strip('"')
        marker = fields.get("markers", "")
        if marker.startswith("{"):  # per group: {bench = "..."}; the main group's, if it has one
            found = re.search(rf'\b{group} = "((?:[^"\\]|\\.)*)"', marker)
            marker = found.group(1) if found else ""
        else:
            marker = marker[1:-1] if marker else ""
        marker = marker.replace('\\"', '"')
        hashes = re.findall(r'hash = "(sha256:[0-9a-f]{64})"', block.split("\n[[", 1)[0])
        if not hashes:
            raise ValueError(f"{name} {version}: no file hashes in poetry.lock")
        spec = f"{name}=={version}" + (f" ; {marker}" if marker else "")
        lines.append(" \\\n    ".join([spec, *(f"--hash={h}" for h in hashes)]))
    if not lines:
        raise ValueError(f"no package of group {group!r} in poetry.lock")
    return lines


def main() -> int:
    print("\n".join(requirements(LOCK.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
