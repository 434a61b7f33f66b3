"""Writes the credentials file the server starts with and prints its path.

credentials.yml holds the channels that need no secret. The Slack channel is added only when
its bot token and an app-level token (Socket Mode) or a signing secret (Events API) are in the
environment; the channel reads them from there itself, so no secret is ever written to a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]


def credentials(environ: dict[str, str]) -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_DIR / "credentials.yml").read_text(encoding="utf-8")) or {}
    slack_access = environ.get("SLACK_APP_TOKEN") or environ.get("SLACK_SIGNING_SECRET")
    if environ.get("SLACK_BOT_TOKEN") and slack_access:
        config["bot.channels.slack.SalesCoachSlackInput"] = {
            "slack_api_base_url": environ.get("SLACK_API_BASE_URL", "https://slack.com/api/"),
        }
    return config


def main() -> None:
    handle, path = tempfile.mkstemp(prefix="sales-coach-credentials-", suffix=".yml")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        yaml.safe_dump(credentials(dict(os.environ)), file)
    os.chmod(path, 0o600)
    print(path)


if __name__ == "__main__":
    main()
