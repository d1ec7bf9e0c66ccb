-- Two identical assistants tables of :rows rows: bots_extension is migrated
-- by org_rls.backfill, bots_by_hand by one set-based INSERT ... SELECT and
-- UPDATE ... FROM into organizations_by_hand, a copy of org_rls.organizations.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS org_rls;

CREATE TABLE bots_extension (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO bots_extension
SELECT md5('bench-bot-' || g)::uuid, 'Bench bot ' || g FROM generate_series(1, :rows) AS g;
CREATE TABLE bots_by_hand (LIKE bots_extension INCLUDING ALL);
INSERT INTO bots_by_hand SELECT id, name FROM bots_extension;

SELECT org_rls.attach_assistants('bots_extension') \gset

CREATE TABLE organizations_by_hand (LIKE org_rls.organizations INCLUDING ALL);
ALTER TABLE bots_by_hand ADD COLUMN organization_id uuid;
ALTER TABLE bots_by_hand ADD FOREIGN KEY (organization_id)
    REFERENCES organizations_by_hand (id) ON DELETE RESTRICT NOT VALID;
CREATE INDEX ON bots_by_hand (organization_id);

VACUUM ANALYZE bots_extension, bots_by_hand;
CHECKPOINT;
