from bot.tools.credentials import credentials


def test_slack_is_added_only_with_both_secrets_from_the_environment() -> None:
    assert "bot.channels.slack.SalesCoachSlackInput" not in credentials({"SLACK_BOT_TOKEN": "x"})
    config = credentials({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3"})
    # the channel reads the secrets from the environment: none is written to the file
    assert config["bot.channels.slack.SalesCoachSlackInput"] == {
        "slack_api_base_url": "https://slack.com/api/",
    }
    assert config["bot.channels.web.WebChatSocketIOInput"]["session_persistence"] is True
    # Rasa's own `rest:` would let REST write into any conversation (issue 7)
    assert "bot.channels.rest.SalesCoachRestInput" in config and "rest" not in config
    assert "bot.channels.guard.GuardInput" in config


def test_slack_is_added_for_socket_mode_with_an_app_token() -> None:
    config = credentials({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert config["bot.channels.slack.SalesCoachSlackInput"] == {
        "slack_api_base_url": "https://slack.com/api/",
    }
    assert "bot.channels.slack.SalesCoachSlackInput" not in credentials({"SLACK_APP_TOKEN": "x"})
