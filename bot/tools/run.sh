#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST, socket.io, web widget; Slack when its
# credentials are set), prints where to chat, and stops both on Ctrl-C.
#
# Locked by default (docs/security.md): both servers listen on 127.0.0.1 (BIND_HOST for the Rasa
# server; the action server stays on loopback, its only client is the Rasa server), the HTTP API
# is on only with SALES_COACH_API_TOKEN, and no cross-origin browser access unless CORS_ORIGINS
# names origins. Supervised: a dead action server is restarted; if the Rasa server dies, the
# action server is stopped too and the script exits non-zero with a message.
set -euo pipefail
cd "$(dirname "$0")/../.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
BIND_HOST=${BIND_HOST:-127.0.0.1}
ACTIONS_BIND_HOST=${ACTIONS_BIND_HOST:-127.0.0.1}
MODEL=${SALES_COACH_MODEL:-models/sales-coach.tar.gz}
ENDPOINTS=${SALES_COACH_ENDPOINTS:-endpoints.yml}
# Restarts of the action server allowed per minute before everything stops.
MAX_ACTION_RESTARTS=${MAX_ACTION_RESTARTS:-5}
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2

# Origins allowed to embed the widget from other intranet pages: space- or comma-separated
# names, read into an array (never glob-expanded). `*` is dropped: Rasa sends CORS with
# credentials, so `*` would let any web page use a signed-in user's chat.
cors_setting=${CORS_ORIGINS:-}
read -r -a listed <<<"${cors_setting//,/ }" || true
cors=()
for name in "${listed[@]}"; do
  if [[ $name == *"*"* ]]; then
    echo "CORS_ORIGINS: '$name' ignored; list origins by name (https://intranet.example)." >&2
  else
    cors+=("$name")
  fi
done
cors_args=()
((${#cors[@]} == 0)) || cors_args=(--cors "${cors[@]}")

endpoints=$(mktemp --suffix=.yml)
sed "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" "$ENDPOINTS" >"$endpoints"
credentials=$(.venv/bin/python -m bot.tools.credentials)

actions_pid="" rasa_pid=""
start_actions() {
  # rasa_sdk takes its host from SANIC_HOST only
  SANIC_HOST=$ACTIONS_BIND_HOST .venv/bin/rasa run actions --port "$ACTIONS_PORT" &
  actions_pid=$!
}
stop_all() {
  kill $rasa_pid $actions_pid 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$endpoints" "$credentials"
}
trap 'stop_all; echo "Sales Coach stopped."' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_actions
# The API token, when set, is added inside bot/tools/rasa_server.py: never on a command line.
.venv/bin/python -m bot.tools.rasa_server --interface "$BIND_HOST" --port "$RASA_PORT" \
  "${cors_args[@]}" --model "$MODEL" --endpoints "$endpoints" --credentials "$credentials" &
rasa_pid=$!

ready="import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)"
probe_host=$BIND_HOST
[[ $probe_host != 0.0.0.0 && $probe_host != "::" ]] || probe_host=127.0.0.1
up=""
for _ in $(seq 1 300); do
  if .venv/bin/python -c "$ready" "http://$probe_host:$RASA_PORT/webhooks/rest/" 2>/dev/null; then
    up=1
    break
  fi
  kill -0 $rasa_pid 2>/dev/null || { echo "The Rasa server failed to start." >&2; exit 1; }
  sleep 1
done
[[ -n $up ]] || { echo "The Rasa server did not answer with a model within 300 s." >&2; exit 1; }
api="off (set SALES_COACH_API_TOKEN to turn it on)"
[[ -z ${SALES_COACH_API_TOKEN:-} ]] || api="on, token required"
cat <<MSG

Sales Coach is running (listening on $BIND_HOST; HTTP API $api).
  Web widget:   http://localhost:$RASA_PORT/webchat/
  REST:         curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
  socket.io:    http://localhost:$RASA_PORT/socket.io
  Actions:      http://127.0.0.1:$ACTIONS_PORT/webhook (loopback only)
  Slack:        Socket Mode when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set; webhook http://localhost:$RASA_PORT/webhooks/slack/webhook when SLACK_SIGNING_SECRET is set (docs/slack.md)
Press Ctrl-C to stop.
MSG

# Supervise by polling: `wait -n` can miss a child that died while the readiness probe ran.
restarts=()
while sleep 1; do
  if ! kill -0 "$rasa_pid" 2>/dev/null; then
    status=0
    wait "$rasa_pid" 2>/dev/null || status=$?
    echo "The Rasa server stopped (exit status $status): stopping the action server." >&2
    exit 1
  fi
  if ! kill -0 "$actions_pid" 2>/dev/null; then
    status=0
    wait "$actions_pid" 2>/dev/null || status=$?
    now=$(date +%s)
    recent=()
    for t in "${restarts[@]}"; do
      if ((now - t < 60)); then recent+=("$t"); fi
    done
    restarts=("${recent[@]}" "$now")
    if ((${#restarts[@]} > MAX_ACTION_RESTARTS)); then
      echo "The action server died $MAX_ACTION_RESTARTS times in a minute: stopping everything." >&2
      exit 1
    fi
    echo "The action server stopped (exit status $status): restarting it." >&2
    start_actions
  fi
done
