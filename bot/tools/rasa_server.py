"""``rasa run ARGS`` with the HTTP API on only when ``SALES_COACH_API_TOKEN`` is set.

The token is added to Rasa's arguments inside this process (``--enable-api --auth-token``), so
it never appears on a command line, where any local user could read it (``ps``, /proc).
Without the token, ``--enable-api`` is refused: the API would let anyone who reaches the port
read and rewrite every conversation.
"""

from __future__ import annotations

import os
import sys
import warnings

TOKEN_ENV = "SALES_COACH_API_TOKEN"
API_FLAGS = ("--enable-api", "--auth-token", "--jwt-secret")


def rasa_arguments(args: list[str], environ: dict[str, str]) -> list[str]:
    if any(arg.split("=")[0] in API_FLAGS for arg in args):
        raise SystemExit(f"API flags are set from {TOKEN_ENV} here, not on the command line.")
    token = environ.get(TOKEN_ENV, "")
    if not token:
        return ["run", *args]
    if len(token) < 16:
        raise SystemExit(f"{TOKEN_ENV} is too short: use at least 16 random characters.")
    return ["run", *args, "--enable-api", "--auth-token", token]


def main() -> None:
    sys.argv = ["rasa", *rasa_arguments(sys.argv[1:], dict(os.environ))]
    # as quiet as the `rasa` command: library deprecations are not the operator's concern
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
