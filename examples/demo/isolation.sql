-- Shows that org_rls isolates organizations, in a transaction that is
-- rolled back: the probe inserts, the probe role and its policies vanish.
-- psql variables carry the results past the rollback into demo.checks.
\pset tuples_only on
\pset format unaligned

-- For pair_count pairs of organizations (A, B), runs as app_user with the
-- explicit organization A while app.current_tenant names B's assistant, so
-- that the legacy policies admit B's rows and only org_rls can hide them.
-- Returns the number of pairs and of violations, and raises a WARNING for
-- each violation.
CREATE FUNCTION demo.check_context_isolation(pair_count integer, OUT pairs integer, OUT violations integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    -- Relations that the application reads, including the compatibility
    -- view and the security_invoker view over conversations.
    relations constant text[] := ARRAY['tenants', 'assistants', 'tenant_members', 'documents',
                                       'knowledge', 'conversations', 'messages', 'events',
                                       'recent_conversations'];
    pair      record;
    relation  text;
    visible   bigint;
    state     text;
    -- Inserts that an application could make, per table, with %L for the tenant id.
    insert_statements constant jsonb := jsonb_build_object(
        'documents', 'INSERT INTO public.documents (tenant_id, title) VALUES (%L, ''isolation probe'')',
        'conversations', 'INSERT INTO public.conversations (tenant_id, visitor_id) VALUES (%L, ''isolation-probe'')');
BEGIN
    pairs := 0;
    violations := 0;
    FOR pair IN
        WITH numbered AS (
            SELECT a.organization_id AS organization, min(a.id::text)::uuid AS assistant,
                   row_number() OVER (ORDER BY a.organization_id) AS n,
                   count(*) OVER () AS total
              FROM public.assistants a
             GROUP BY a.organization_id)
        -- Pairs each organization with the one half the list away.
        SELECT x.organization AS org_a, x.assistant AS assistant_a,
               y.organization AS org_b, y.assistant AS assistant_b
          FROM numbered x
          JOIN numbered y ON y.n = (x.n - 1 + x.total / 2) % x.total + 1
         WHERE x.n <= pair_count
         ORDER BY x.n
    LOOP
        pairs := pairs + 1;
        PERFORM set_config('role', 'app_user', true);

        -- Organization A, legacy tenant B: nothing of B may show.
        PERFORM set_config('app.current_tenant', pair.assistant_b::text, true);
        PERFORM org_rls.use_organization(pair.org_a);
        FOREACH relation IN ARRAY relations LOOP
            EXECUTE format('SELECT count(*) FROM public.%I', relation) INTO visible;
            IF visible <> 0 THEN
                violations := violations + 1;
                RAISE WARNING '% rows of % visible to organization % with app.current_tenant = %',
                    visible, relation, pair.org_a, pair.assistant_b;
            END IF;
        END LOOP;

        SELECT count(*) INTO visible
          FROM public.hybrid_search(pair.assistant_b, 'refund invoice', public.fixture_embedding(42, 16), 10);
        IF visible <> 0 THEN
            violations := violations + 1;
            RAISE WARNING 'organization % gets % hybrid_search results of assistant %',
                pair.org_a, visible, pair.assistant_b;
        END IF;

        SELECT count(*) FILTER (WHERE o.id <> pair.org_a) INTO visible FROM org_rls.organizations o;
        IF visible <> 0 THEN
            violations := violations + 1;
            RAISE WARNING '% other organizations visible to organization %', visible, pair.org_a;
        END IF;

        FOREACH relation IN ARRAY ARRAY['documents', 'conversations'] LOOP
            state := demo.sqlstate_of(format(insert_statements ->> relation, pair.assistant_b));
            IF state <> '42501' THEN
                violations := violations + 1;
                RAISE WARNING 'organization % inserting into % for assistant % returned SQLSTATE %, expected 42501',
                    pair.org_a, relation, pair.assistant_b, state;
            END IF;
        END LOOP;

        -- Organization A, legacy tenant A: A's rows show and inserts pass.
        PERFORM set_config('app.current_tenant', pair.assistant_a::text, true);
        SELECT count(*) INTO visible FROM public.documents;
        IF visible = 0 THEN
            violations := violations + 1;
            RAISE WARNING 'no documents visible to organization % for its own assistant', pair.org_a;
        END IF;
        FOREACH relation IN ARRAY ARRAY['documents', 'conversations'] LOOP
            state := demo.sqlstate_of(format(insert_statements ->> relation, pair.assistant_a));
            IF state <> '00000' THEN
                violations := violations + 1;
                RAISE WARNING 'organization % inserting into % for its assistant % returned SQLSTATE %',
                    pair.org_a, relation, pair.assistant_a, state;
            END IF;
        END LOOP;

        -- No explicit organization: app.current_tenant decides again.
        PERFORM org_rls.use_organization(NULL);
        PERFORM set_config('app.current_tenant', pair.assistant_b::text, true);
        SELECT count(*) INTO visible FROM public.documents WHERE tenant_id = pair.assistant_b;
        IF visible = 0 THEN
            violations := violations + 1;
            RAISE WARNING 'without an explicit organization, no documents of assistant % are visible',
                pair.assistant_b;
        END IF;

        PERFORM set_config('role', 'none', true);
    END LOOP;
    PERFORM set_config('app.current_tenant', '', true);
END
$fn$;

-- For every organization, counts the rows of each protected table that are
-- visible to probe_role, split into rows of the organization's own
-- assistants and rows of others. The organization's assistants are read as
-- the caller.
CREATE FUNCTION demo.count_visible_rows(probe_role name)
RETURNS TABLE (table_name text, organization uuid, own_rows bigint, foreign_rows bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    assistant_ids uuid[];
    own_predicate text;
BEGIN
    FOR organization IN SELECT o.id FROM org_rls.organizations o ORDER BY o.id LOOP
        assistant_ids := ARRAY(SELECT a.id FROM public.assistants a WHERE a.organization_id = organization);
        PERFORM set_config('role', probe_role, true);
        PERFORM org_rls.use_organization(organization);
        FOR table_name IN
            SELECT unnest(ARRAY['assistants', 'tenant_members', 'documents', 'knowledge',
                                'conversations', 'messages', 'events'])
        LOOP
            own_predicate := CASE table_name
                                 WHEN 'assistants' THEN 'organization_id = $2'
                                 ELSE 'tenant_id = ANY ($1)' END;
            EXECUTE format('SELECT count(*) FILTER (WHERE %1$s),'
                           '       count(*) FILTER (WHERE NOT coalesce(%1$s, false))'
                           '  FROM public.%2$I', own_predicate, table_name)
               INTO own_rows, foreign_rows
              USING assistant_ids, organization;
            RETURN NEXT;
        END LOOP;
        PERFORM set_config('role', 'none', true);
    END LOOP;
    PERFORM org_rls.use_organization(NULL);
END
$fn$;

BEGIN;

-- The savepoint drops the probe inserts before the row counts below.
SAVEPOINT pairs;
SELECT pairs AS context_pairs, violations AS context_violations
  FROM demo.check_context_isolation(20) \gset
ROLLBACK TO SAVEPOINT pairs;
SELECT format('organization pairs checked: %s, isolation violations: %s', :context_pairs, :context_violations);

-- A role whose own policies admit every row, so that only org_rls's
-- RESTRICTIVE policy org_rls_isolation limits the rows visible to it.
CREATE ROLE org_rls_demo_probe NOLOGIN;
GRANT SELECT ON public.assistants, public.tenant_members, public.documents, public.knowledge,
                public.conversations, public.messages, public.events TO org_rls_demo_probe;
CREATE POLICY demo_probe_all ON public.assistants     FOR SELECT TO org_rls_demo_probe USING (true);
CREATE POLICY demo_probe_all ON public.tenant_members FOR SELECT TO org_rls_demo_probe USING (true);
CREATE POLICY demo_probe_all ON public.documents      FOR SELECT TO org_rls_demo_probe USING (true);
CREATE POLICY demo_probe_all ON public.knowledge      FOR SELECT TO org_rls_demo_probe USING (true);
CREATE POLICY demo_probe_all ON public.conversations  FOR SELECT TO org_rls_demo_probe USING (true);
CREATE POLICY demo_probe_all ON public.messages       FOR SELECT TO org_rls_demo_probe USING (true);
CREATE POLICY demo_probe_all ON public.events         FOR SELECT TO org_rls_demo_probe USING (true);

CREATE TEMP TABLE visible_rows AS
SELECT * FROM demo.count_visible_rows('org_rls_demo_probe');

-- Rows that have an assistant, per table: each must show to exactly its own
-- organization, so the own rows summed over all organizations equal these.
CREATE TEMP VIEW visible_totals AS
SELECT v.table_name, v.own_rows, v.foreign_rows, t.rows_with_assistant
  FROM (SELECT table_name, sum(own_rows) AS own_rows, sum(foreign_rows) AS foreign_rows
          FROM visible_rows GROUP BY table_name) AS v
  JOIN (SELECT 'assistants' AS table_name, count(*) AS rows_with_assistant FROM public.assistants
        UNION ALL SELECT 'tenant_members', count(*) FROM public.tenant_members
        UNION ALL SELECT 'documents', count(*) FROM public.documents
        UNION ALL SELECT 'knowledge', count(*) FROM public.knowledge
        UNION ALL SELECT 'conversations', count(*) FROM public.conversations
        UNION ALL SELECT 'messages', count(*) FROM public.messages
        UNION ALL SELECT 'events', count(tenant_id) FROM public.events) AS t USING (table_name);

SELECT format('        %s: %s rows of their own organization, %s of others (%s rows have an assistant)',
              table_name, own_rows, foreign_rows, rows_with_assistant)
  FROM visible_totals ORDER BY table_name;
SELECT (SELECT sum(foreign_rows) FROM visible_totals) AS cross_organization_rows,
       (SELECT count(*) FROM visible_totals WHERE own_rows <> rows_with_assistant) AS tables_with_missing_rows,
       (SELECT count(DISTINCT organization) FROM visible_rows) AS probed_organizations \gset
\echo 'cross-organization rows visible:' :cross_organization_rows

ROLLBACK;

SELECT demo.expect_equal('organization pairs checked as app_user', :context_pairs, 20);
SELECT demo.expect_equal('isolation violations in those pairs', :context_violations, 0);
SELECT demo.expect_equal('organizations probed with USING (true) policies', :probed_organizations,
                         (SELECT count(*) FROM org_rls.organizations));
SELECT demo.expect_equal('cross-organization rows visible', :cross_organization_rows, 0);
SELECT demo.expect_equal('tables where an organization misses own rows', :tables_with_missing_rows, 0);
