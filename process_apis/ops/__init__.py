"""Operations views over the system of record: flows and business views (``flows``), alert
rules and their evaluation (``alerts``, ``alert_store``)."""
