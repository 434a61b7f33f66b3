#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST, socket.io, web widget; Slack when its
# credentials are set), prints where to chat, and stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
# Origins allowed to embed the widget from other intranet pages (space-separated).
CORS_ORIGINS=${CORS_ORIGINS:-*}
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2

endpoints=$(mktemp --suffix=.yml)
sed "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" endpoints.yml >"$endpoints"
credentials=$(.venv/bin/python -m bot.tools.credentials)

.venv/bin/rasa run actions --port "$ACTIONS_PORT" &
actions_pid=$!
# shellcheck disable=SC2086  # one --cors flag per origin
.venv/bin/rasa run --enable-api --cors $CORS_ORIGINS --port "$RASA_PORT" \
  --model models/sales-coach.tar.gz --endpoints "$endpoints" --credentials "$credentials" &
rasa_pid=$!
trap 'kill $rasa_pid $actions_pid 2>/dev/null; wait 2>/dev/null; rm -f "$endpoints" "$credentials";
      echo "Sales Coach stopped."' INT TERM EXIT

ready="import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)"
for _ in $(seq 1 300); do
  .venv/bin/python -c "$ready" "http://127.0.0.1:$RASA_PORT/status" 2>/dev/null && break
  kill -0 $rasa_pid 2>/dev/null || { echo "The Rasa server failed to start." >&2; exit 1; }
  sleep 1
done
cat <<MSG

Sales Coach is running.
  Web widget:   http://localhost:$RASA_PORT/webchat/
  REST:         curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
  socket.io:    http://localhost:$RASA_PORT/socket.io
  Actions:      http://localhost:$ACTIONS_PORT/webhook
  Slack:        Socket Mode when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set; webhook http://localhost:$RASA_PORT/webhooks/slack/webhook when SLACK_SIGNING_SECRET is set (docs/slack.md)
Press Ctrl-C to stop.
MSG
wait $rasa_pid
