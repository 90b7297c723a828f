"""``repairbot serve``: the web chat (page, API, health check) on uvicorn."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser("serve", help="serve the web chat and its API (default http://127.0.0.1:8000/)")
    parser.add_argument("--host", help="interface to bind (default from config.yml server.host: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from config.yml server.port: 8000)")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from bot.app import create_app, open_database, server_settings
    from bot.engine import Engine
    from bot.privacy import install_log_masking

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()
    settings = server_settings()
    db = open_database(args.url)  # migrations and technicians before the first request
    engine = Engine(db)
    engine.warm_up()  # the first customer should not wait for the NLU and gazetteer to load
    engine.start_turn_processes()  # server.turn_processes: more than one core on PostgreSQL
    app = create_app(engine, background=True)
    host = args.host or settings["host"]
    port = args.port or settings["port"]
    print(f"web chat on http://{host}:{port}/", flush=True)
    try:
        # log_config=None: uvicorn's own formatters need the raw log arguments, which the phone masking
        # replaces by the masked message; the root handler configured above prints that message.
        uvicorn.run(app, host=host, port=port, log_level=args.log_level, log_config=None)
    finally:
        db.dispose()
    return 0
