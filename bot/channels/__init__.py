"""Rasa input/output channels (Slack: `bot.channels.slack.SalesCoachSlackInput`)."""
