"""Remote tracking: the local spool, the sender thread, the replicator (also `tracklib sync`)."""
