-- attach_assistants adds organization_id with a NOT VALID foreign key and an index, twice without change; it rejects bad tables and columns.
BEGIN;
\i tests/pg_regress/include/fixture.sql
CREATE EXTENSION org_rls;

-- Before the rename, the default table name does not exist yet.
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants()$$);
SELECT org_rls.rename_tenants() IS NOT NULL AS renamed;

-- Bad arguments change nothing.
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants(NULL)$$);
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants('public.assistants', NULL)$$);
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants('public.assistants', 'title')$$);
SELECT org_rls.attach_assistants('public.assistants', 'title');
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants('public.tenants')$$);
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants('public.tenant_members', 'role')$$);
SELECT org_rls.attach_assistants('public.tenant_members', 'role');
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants('public.documents', 'title')$$);
SELECT count(*) AS organization_columns FROM pg_attribute
 WHERE attname = 'organization_id' AND attrelid IN ('public.assistants'::regclass,
       'public.tenant_members'::regclass, 'public.documents'::regclass);
SELECT count(*) AS attached FROM org_rls.assistants_table;

-- A table attached by mistake can be detached while nothing depends on it.
SELECT org_rls.attach_assistants('public.conversations', 'title');
SELECT org_rls.detach_assistants();
SELECT count(*) AS organization_columns FROM pg_attribute
 WHERE attrelid = 'public.conversations'::regclass AND attname = 'organization_id' AND NOT attisdropped;
SELECT count(*) AS attached FROM org_rls.assistants_table;
SELECT pg_temp.error_of($$SELECT org_rls.detach_assistants()$$);

-- Attach twice: the second call finds everything in place.
SELECT org_rls.attach_assistants();
SELECT org_rls.attach_assistants();
SELECT relation, id_column, name_column FROM org_rls.assistants_table;
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS default_value
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'public.assistants'::regclass AND a.attname = 'organization_id';
SELECT conname, convalidated, confdeltype, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint
 WHERE conrelid = 'public.assistants'::regclass AND contype = 'f';
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) AS definition
  FROM pg_index
 WHERE indrelid = 'public.assistants'::regclass AND indexrelid::regclass::text LIKE '%organization%';
SELECT count(*) FILTER (WHERE organization_id IS NULL) AS without_organization, count(*) AS assistants
  FROM public.assistants;

-- The compatibility view keeps its legacy columns.
SELECT count(*) AS view_has_organization_id FROM pg_attribute
 WHERE attrelid = 'public.tenants'::regclass AND attname = 'organization_id';

-- A new assistant takes the current organization as its default.
INSERT INTO org_rls.organizations (id, name) VALUES ('00000000-0000-4000-8000-00000000000a', 'Acme');
SELECT org_rls.use_organization('00000000-0000-4000-8000-00000000000a') IS NOT NULL AS context_set;
INSERT INTO public.tenants (slug, name) VALUES ('acme-helper', 'Acme helper');
SELECT slug, organization_id FROM public.assistants WHERE slug = 'acme-helper';
SELECT org_rls.use_organization(NULL) IS NULL AS context_cleared;

-- The foreign key rejects an organization that does not exist.
SELECT pg_temp.error_of($$UPDATE public.assistants SET organization_id = gen_random_uuid() WHERE slug = 'acme-helper'$$);

-- Detaching is refused while an assistant has an organization.
SELECT org_rls.detach_assistants();

-- A second table cannot be attached, nor a column of another type.
CREATE TABLE public.other_bots (id uuid PRIMARY KEY, name text);
SELECT org_rls.attach_assistants('public.other_bots');
CREATE TABLE public.typed_bots (id uuid PRIMARY KEY, name text, organization_id bigint);
DELETE FROM org_rls.assistants_table;
SELECT pg_temp.error_of($$SELECT org_rls.attach_assistants('public.typed_bots')$$);
ROLLBACK;
