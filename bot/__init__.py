"""repairbot runtime: app wiring, storage, engine, booking, follow-ups, channels, console and CLI."""
