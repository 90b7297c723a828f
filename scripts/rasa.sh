#!/usr/bin/env bash
# Optional Rasa NLU backend: a separate Python 3.10 environment (Rasa 3.6 needs Python < 3.11 and pins
# SQLAlchemy 1.4, pydantic v1 and TensorFlow 2.12, so it cannot share the app's .venv), a model trained
# from nlu/data/*.yml with a Chinese pipeline (rasa/config.yml), served on 127.0.0.1 only.
#
# usage: scripts/rasa.sh [all|install|train|serve|start|stop|status]
#   all    install, train, serve in the foreground (Ctrl-C stops it)          = make rasa
#   start  install, train, then serve in the background (log and pid in .rasa/) = make rasa-start
#   stop   stop the background server started by `start`                         = make rasa-stop
#   status say whether the background server runs and /status answers
# env:   RASA_PORT (5005)  RASA_TOKEN (optional auth token for the HTTP API)  PYTHON310 (interpreter)
# Fails (exit 1) when the port is already taken: another server answering there is not ours.
set -euo pipefail
cd "$(dirname "$0")/.."
# Rasa reports usage to its makers unless told not to; nothing leaves this machine.
export RASA_TELEMETRY_ENABLED=false

VENV=.rasa-venv
LOCK=rasa/requirements.lock
BUILD=.rasa                       # generated files (jieba user dictionary, training stamp); git-ignored
MODELS=rasa/models                # git-ignored
MODEL_NAME=repairbot-nlu
PORT=${RASA_PORT:-5005}
PIDFILE=$BUILD/rasa.pid
LOGFILE=$BUILD/rasa.log

log() { printf '[rasa] %s\n' "$*" >&2; }

find_python310() {
    local candidates=("${PYTHON310:-}" python3.10)
    # pyenv keeps interpreters that are installed but not on the active shim path.
    for dir in "$HOME"/.pyenv/versions/3.10*/bin /usr/bin /usr/local/bin; do
        candidates+=("$dir/python3.10")
    done
    for c in "${candidates[@]}"; do
        [ -n "$c" ] || continue
        if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
            command -v "$c" || echo "$c"
            return 0
        fi
    done
    log "Python 3.10 not found (Rasa 3.6 needs Python < 3.11); set PYTHON310=/path/to/python3.10"
    return 1
}

install() {
    if [ -x "$VENV/bin/rasa" ] && [ ! "$LOCK" -nt "$VENV/.installed" ]; then
        return 0
    fi
    local py
    py=$(find_python310)
    log "creating $VENV with $py"
    [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    if [ -s "$LOCK" ]; then
        log "installing the frozen set from $LOCK"
        "$VENV/bin/python" -m pip install -q -r "$LOCK"
    else
        log "installing rasa==3.6.21 and jieba (about 3 minutes, 2.7 GB); freezing to $LOCK"
        "$VENV/bin/python" -m pip install -q "rasa==3.6.21" jieba
        mkdir -p "$(dirname "$LOCK")"
        "$VENV/bin/python" -m pip freeze --exclude-editable >"$LOCK"
    fi
    touch "$VENV/.installed"
}

# Everything that changes the trained model; training is skipped when none of it changed.
fingerprint() {
    cat nlu/data/*.yml rasa/config.yml rasa/jieba_dict.py "$LOCK" 2>/dev/null | sha256sum | cut -c1-16
}

train() {
    install
    local fp stamp="$BUILD/trained.fingerprint"
    fp=$(fingerprint)
    if [ -f "$MODELS/$MODEL_NAME.tar.gz" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$fp" ]; then
        log "model is up to date ($MODELS/$MODEL_NAME.tar.gz)"
        return 0
    fi
    mkdir -p "$BUILD/jieba" "$MODELS"
    # JiebaTokenizer reads every file in this folder as a user dictionary (see rasa/config.yml).
    "$VENV/bin/python" rasa/jieba_dict.py nlu/data "$BUILD/jieba/userdict.txt"
    log "training from nlu/data (about 90 s on 2 cores)"
    "$VENV/bin/rasa" train nlu --config rasa/config.yml --nlu nlu/data \
        --out "$MODELS" --fixed-model-name "$MODEL_NAME"
    echo "$fp" >"$stamp"
}

port_taken() {
    # bash's /dev/tcp: a connection that opens means something already listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

require_free_port() {
    if port_taken; then
        log "port $PORT on 127.0.0.1 is already taken (another Rasa? \`$0 status\`); set RASA_PORT or stop it"
        exit 1
    fi
}

# The server command, in the array RASA_CMD.
rasa_command() {
    # -i 127.0.0.1: --enable-api exposes model-replacing endpoints, so never bind a public address.
    RASA_CMD=("$VENV/bin/rasa" run --enable-api -i 127.0.0.1 -p "$PORT" -m "$MODELS/$MODEL_NAME.tar.gz")
    [ -z "${RASA_TOKEN:-}" ] || RASA_CMD+=(-t "$RASA_TOKEN")
}

serve() {
    require_free_port
    [ -f "$MODELS/$MODEL_NAME.tar.gz" ] || train
    rasa_command
    log "serving on http://127.0.0.1:$PORT (POST /model/parse); Ctrl-C stops it"
    exec "${RASA_CMD[@]}"
}

running_pid() {
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
    if pid=$(running_pid); then
        log "already running (pid $pid, log $LOGFILE)"
        return 0
    fi
    require_free_port
    [ -f "$MODELS/$MODEL_NAME.tar.gz" ] || train
    mkdir -p "$BUILD"
    rasa_command
    # setsid: the server gets its own process group, so `stop` ends it and its workers together.
    setsid nohup "${RASA_CMD[@]}" >"$LOGFILE" 2>&1 < /dev/null &
    echo $! >"$PIDFILE"
    log "started in the background (pid $!, log $LOGFILE); /status answers after 20-50 s; stop: make rasa-stop"
}

stop() {
    local pid
    if ! pid=$(running_pid); then
        log "not running"
        rm -f "$PIDFILE"
        return 0
    fi
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
    log "stopped (pid $pid)"
}

status() {
    local pid
    if pid=$(running_pid); then
        log "running (pid $pid, log $LOGFILE)"
    else
        log "not running from here"
    fi
    if port_taken; then
        log "something listens on 127.0.0.1:$PORT"
    else
        log "nothing listens on 127.0.0.1:$PORT"
        [ -n "${pid:-}" ] || return 3
    fi
}

case "${1:-all}" in
    install) install ;;
    train) train ;;
    serve) serve ;;
    all) require_free_port && train && serve ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [all|install|train|serve|start|stop|status]" >&2; exit 2 ;;
esac
