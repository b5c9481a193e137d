"""The data layer: models, engine and sessions, migrations. No Textual here."""
