#!/usr/bin/env bash
# Optional Rasa NLU backend: a separate Python 3.10 environment (Rasa 3.6 needs Python < 3.11 and pins
# SQLAlchemy 1.4, pydantic v1 and TensorFlow 2.12, so it cannot share the app's .venv), a model trained
# from nlu/data/*.yml with a Chinese pipeline (rasa/config.yml), served on 127.0.0.1 only.
#
# usage: scripts/rasa.sh [all|install|train|serve]      (default: all = install, train, serve)
# env:   RASA_PORT (5005)  RASA_TOKEN (optional auth token for the HTTP API)  PYTHON310 (interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.rasa-venv
LOCK=rasa/requirements.lock
BUILD=.rasa                       # generated files (jieba user dictionary, training stamp); git-ignored
MODELS=rasa/models                # git-ignored
MODEL_NAME=repairbot-nlu
PORT=${RASA_PORT:-5005}

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

serve() {
    [ -f "$MODELS/$MODEL_NAME.tar.gz" ] || train
    local auth=()
    [ -z "${RASA_TOKEN:-}" ] || auth=(-t "$RASA_TOKEN")
    log "serving on http://127.0.0.1:$PORT (POST /model/parse); Ctrl-C stops it"
    # -i 127.0.0.1: --enable-api exposes model-replacing endpoints, so never bind a public address.
    exec "$VENV/bin/rasa" run --enable-api -i 127.0.0.1 -p "$PORT" "${auth[@]}" \
        -m "$MODELS/$MODEL_NAME.tar.gz"
}

case "${1:-all}" in
    install) install ;;
    train) train ;;
    serve) serve ;;
    all) train && serve ;;
    *) echo "usage: $0 [all|install|train|serve]" >&2; exit 2 ;;
esac
