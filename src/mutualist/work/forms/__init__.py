"""The work domain's forms, one module per area."""
