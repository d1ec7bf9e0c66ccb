-- Runs before the migration: the benchmark's schema, its results table and
-- its login roles. The cluster is a throwaway one, so the roles are created
-- without checking for earlier ones.
SET client_min_messages = warning;

CREATE SCHEMA bench;
CREATE TABLE bench.result (
    seq      serial PRIMARY KEY,
    section  text NOT NULL,   -- matrix, helper, hybrid or leakproof
    query    text NOT NULL,
    shape    text NOT NULL,   -- the policy shape or variant measured
    ms       double precision,   -- average latency per transaction; NULL when the cell timed out
    txns     bigint,
    note     text
);
CREATE TABLE bench.param (name text PRIMARY KEY, value text NOT NULL);

-- One login role per policy shape. None is a superuser or owns a table.
CREATE ROLE bench_base LOGIN BYPASSRLS;   -- baseline: no row-level security
CREATE ROLE bench_tenant LOGIN;           -- tenant_id = current_setting('app.current_tenant')::uuid
CREATE ROLE bench_exists LOGIN;           -- per-row EXISTS against assistants
CREATE ROLE bench_definer LOGIN;          -- per-row SECURITY DEFINER membership function
CREATE ROLE bench_in LOGIN;               -- tenant_id IN (SELECT id FROM assistants WHERE ...)
CREATE ROLE bench_org LOGIN;              -- org_rls.protect's RESTRICTIVE policy
-- The example application's role, with its own policies, for hybrid_search.
CREATE ROLE bench_app LOGIN IN ROLE app_user;
