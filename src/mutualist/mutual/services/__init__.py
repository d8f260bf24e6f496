"""Every write to the funds. Import from the modules: ``services.funds``,
``services.claims`` and one module per fund kind."""
