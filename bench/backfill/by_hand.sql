-- The hand-written, set-based migration that the backfill is compared with:
-- one transaction, no batches, not resumable.
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO organizations_by_hand (name, backfilled_from)
SELECT coalesce(nullif(btrim(name), ''), 'Organization of assistant ' || id), id FROM bots_by_hand;
UPDATE bots_by_hand b SET organization_id = o.id
  FROM organizations_by_hand o WHERE o.backfilled_from = b.id;
COMMIT;
