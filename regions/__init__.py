"""China's administrative divisions, per-brand service areas and distances: pure logic, no network."""
