"""The technician roster as data: where technicians come from and how they get into the database.

- ``fields``: one CSV column → a checked value (or a :class:`fields.FieldError` naming the column).
- ``table``: a roster CSV → specs and rejected rows (row, column, reason); the format is documented there.
- ``sync``: specs → database rows by code, each row keeping its ``source`` (config | demo | import).
- ``importer``: ``repairbot technicians import``.
- ``demo``: the generated demo roster loaded at start-up (config ``roster``).
- ``generate`` and ``fake``: build that roster from the service areas (``make roster``, build time).

config.yml technicians are parsed by :mod:`bot.technicians`, which also runs the start-up sync.
"""
