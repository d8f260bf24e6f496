"""Writes of the work domain, one module per area (``clients``, ``jobs``,
``pitches``, ``agreements``, ``engagements``, ``time``, ``timesheets``,
``imports``, ``calendar``). Import from the module itself."""
