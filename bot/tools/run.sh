#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST, socket.io, web widget; Slack when its
# credentials are set), prints where to chat, and stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
endpoints=$(mktemp --suffix=.yml)
sed "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" endpoints.yml >"$endpoints"
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2

.venv/bin/rasa run actions --port "$ACTIONS_PORT" &
actions_pid=$!
.venv/bin/rasa run --enable-api --cors "*" --port "$RASA_PORT" \
  --model models/sales-coach.tar.gz --endpoints "$endpoints" --credentials "$(.venv/bin/python -m bot.tools.credentials)" &
rasa_pid=$!
trap 'kill $rasa_pid $actions_pid 2>/dev/null; wait 2>/dev/null; echo "Sales Coach stopped."' INT TERM EXIT

for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$RASA_PORT/status" >/dev/null 2>&1 && break
  kill -0 $rasa_pid 2>/dev/null || { echo "The Rasa server failed to start." >&2; exit 1; }
  sleep 1
done
cat <<MSG

Sales Coach is running.
  Web widget:   http://localhost:$RASA_PORT/webchat/
  REST:         curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
  socket.io:    http://localhost:$RASA_PORT/socket.io
  Actions:      http://localhost:$ACTIONS_PORT/webhook
  Slack:        http://localhost:$RASA_PORT/webhooks/slack/webhook (when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set; see docs/slack.md)
Press Ctrl-C to stop.
MSG
wait $rasa_pid
