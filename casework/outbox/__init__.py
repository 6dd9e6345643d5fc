"""The transactional outbox: background work recorded in the same transaction as the use case that wants it,
and sent to the Celery broker afterwards (at once when it answers, else by the relay when it is back)."""
