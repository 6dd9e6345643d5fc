"""Both lifecycles as data: transitions, working-day clocks and their calendar, triage metadata,
the gratification steps (UPG, KPK, SK), reminders, the SLA page and retention (crypto-shredding).

Sits above ``casework.cases`` (it changes cases; cases know nothing of it). The case page shows its panels
through the ``workflow_panels`` template tags, so no module of ``cases`` imports this package.
"""
