"""The audit trail: records of an evaluation that replay, and their hash-chained log."""
