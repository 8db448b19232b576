"""The interview's rules, in one home below ``api``, ``ingest`` and ``streaming`` (and above
``storage``): the candidate and answer lifecycle, the base error type with stable codes, and the
domain events. No web framework, and no I/O but queueing an event in the caller's transaction,
so every process applies the same rules."""
