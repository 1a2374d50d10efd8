"""The reassessment checks: the rules engine, flags, reminders, self-report links, Celery tasks and the sweep."""
