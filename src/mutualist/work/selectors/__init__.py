"""Reads of the work domain, scoped by who is asking. One module per area:
``access`` (who may see what: the base every other module builds on),
``clients`` (clients, contacts, jobs, the board), ``pitches`` (pitches,
engagements, agreements), ``time`` (entries, timesheets, weeks),
``calendar`` (shifts and feeds). Import from the module itself."""
