"""endpoints.yml: conversations are kept by default, in a file under the git-ignored var/."""

import subprocess

from rasa.core.tracker_store import SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import read_endpoint_config

from tests.conftest import PROJECT_DIR


def test_the_default_store_is_sqlite_under_var(tmp_path, monkeypatch) -> None:
    config = read_endpoint_config(str(PROJECT_DIR / "endpoints.yml"), "tracker_store")
    assert (config.kwargs["dialect"], config.kwargs["db"]) == ("sqlite", "var/trackers.db")
    (tmp_path / "var").mkdir()
    monkeypatch.chdir(tmp_path)  # the path is relative to where Rasa starts
    store = create_tracker_store(config, Domain.empty())
    assert isinstance(store, SQLTrackerStore)  # not Rasa's in-memory fallback
    assert (tmp_path / "var" / "trackers.db").is_file()


def test_var_exists_in_a_clone_and_its_content_is_ignored() -> None:
    assert (PROJECT_DIR / "var").is_dir()  # SQLite does not create the folder: Rasa would hang
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "var/trackers.db"], cwd=PROJECT_DIR, check=False
    )
    assert ignored.returncode == 0
