"""Conversation policy (intake, booking, handoff, survey): pure logic, no I/O."""
