-- A transaction that takes a transaction id, writes nothing and commits:
-- the write traffic of scripts/bench's "other sessions committing" cells.
SELECT txid_current();
