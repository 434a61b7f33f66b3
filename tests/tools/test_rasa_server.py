import pytest

from bot.tools.rasa_server import rasa_arguments

TOKEN = "0123456789abcdef0123"


def test_the_http_api_is_off_without_a_token() -> None:
    assert rasa_arguments(["--port", "5005"], {}) == ["run", "--port", "5005"]
    assert rasa_arguments(["--port", "5005"], {"SALES_COACH_API_TOKEN": ""}) == [
        "run",
        "--port",
        "5005",
    ]


def test_the_token_turns_the_api_on_with_rasas_token_auth() -> None:
    args = rasa_arguments(["--port", "5005"], {"SALES_COACH_API_TOKEN": TOKEN})
    assert args == ["run", "--port", "5005", "--enable-api", "--auth-token", TOKEN]


@pytest.mark.parametrize(
    ("args", "environ"),
    [
        (["--enable-api"], {}),  # the API without a token: what issue 7 found open
        (["--auth-token=x"], {"SALES_COACH_API_TOKEN": TOKEN}),
        ([], {"SALES_COACH_API_TOKEN": "short"}),
    ],
)
def test_api_flags_come_only_from_a_strong_enough_token(args, environ) -> None:
    with pytest.raises(SystemExit):
        rasa_arguments(args, environ)
