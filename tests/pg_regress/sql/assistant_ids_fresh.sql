-- The helpers reuse a lookup only while the snapshot is the same: changes to assistants are visible to the next statement, and a rollback to a savepoint takes them back. in_organization(), the per-row test of the policies, also follows every change of the settings that choose the organization.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;
SELECT org_rls.rename_tenants() IS NOT NULL AS renamed;
SELECT org_rls.attach_assistants();
INSERT INTO org_rls.organizations (id, name) VALUES
    ('00000000-0000-4000-8000-00000000000a', 'A'), ('00000000-0000-4000-8000-00000000000b', 'B');
UPDATE public.assistants SET organization_id = CASE WHEN id IN (pg_temp.tenant(1), pg_temp.tenant(2))
    THEN '00000000-0000-4000-8000-00000000000a'::uuid ELSE '00000000-0000-4000-8000-00000000000b'::uuid END;
SELECT pg_temp.tenant(1) AS t1, pg_temp.tenant(2) AS t2, pg_temp.tenant(3) AS t3 \gset
CREATE FUNCTION pg_temp.sorted(ids uuid[]) RETURNS uuid[]
LANGUAGE sql IMMUTABLE AS $fn$ SELECT array_agg(id ORDER BY id) FROM unnest(ids) AS id $fn$;

SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000a') IS NOT NULL AS context_set;
SELECT org_rls.assistant_ids() = pg_temp.sorted(ARRAY[:'t1', :'t2']::uuid[]) AS one_and_two;

-- Moving an assistant out is visible to the next statement.
UPDATE public.assistants SET organization_id = '00000000-0000-4000-8000-00000000000b' WHERE id = :'t2';
SELECT org_rls.assistant_ids() = pg_temp.sorted(ARRAY[:'t1']::uuid[]) AS only_one;
SELECT org_rls.in_organization(:'t1') AS one_in, org_rls.in_organization(:'t2') AS two_in;

-- Moving one in, and taking it back with a rollback to a savepoint.
SAVEPOINT move_three;
UPDATE public.assistants SET organization_id = '00000000-0000-4000-8000-00000000000a' WHERE id = :'t3';
SELECT org_rls.assistant_ids() = pg_temp.sorted(ARRAY[:'t1', :'t3']::uuid[]) AS one_and_three;
SELECT org_rls.in_organization(:'t3') AS three_in;
ROLLBACK TO SAVEPOINT move_three;
SELECT org_rls.assistant_ids() = pg_temp.sorted(ARRAY[:'t1']::uuid[]) AS only_one_again;
SELECT org_rls.in_organization(:'t3') AS three_in;

-- The legacy tenant setting follows a move as well.
SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant';
SELECT org_rls.use_organization(NULL) IS NULL AS explicit_context_cleared;
SELECT set_config('app.current_tenant', :'t2', true) IS NOT NULL AS tenant_set;
SELECT org_rls.organization_id() AS organization_of_two, org_rls.in_organization(:'t3') AS three_in;
UPDATE public.assistants SET organization_id = '00000000-0000-4000-8000-00000000000a' WHERE id = :'t2';
SELECT org_rls.organization_id() AS organization_of_two, org_rls.in_organization(:'t3') AS three_in;

-- Inside one PL/pgSQL block, each statement sees the changes of the ones before.
DO $$
DECLARE
    before_move integer;
    after_move integer;
BEGIN
    before_move := cardinality(org_rls.assistant_ids());
    UPDATE public.assistants SET organization_id = '00000000-0000-4000-8000-00000000000a'
     WHERE organization_id = '00000000-0000-4000-8000-00000000000b';
    after_move := cardinality(org_rls.assistant_ids());
    RAISE NOTICE 'assistants in A: % before the move, % after', before_move, after_move;
END
$$;

-- A PL/pgSQL expression keeps its function state from one evaluation to the
-- next, and in_organization() its looked-up ids with it; a change of
-- organization between two evaluations still changes the result.
DO $$
DECLARE
    one uuid := pg_temp.tenant(1);
    organization uuid;
    results text[] := '{}';
BEGIN
    FOREACH organization IN ARRAY ARRAY['00000000-0000-4000-8000-00000000000a',
                                        '00000000-0000-4000-8000-00000000000b',
                                        '00000000-0000-4000-8000-00000000000a']::uuid[] LOOP
        PERFORM set_config('org_rls.organization_id', organization::text, true);
        results := results || org_rls.in_organization(one)::text;
    END LOOP;
    RAISE NOTICE 'assistant 1 in A, B, A: %', results;
END
$$;

-- The other organization gets its own set.
SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000b') IS NOT NULL AS context_set;
SELECT cardinality(org_rls.assistant_ids()) AS assistants_in_b;
ROLLBACK;
