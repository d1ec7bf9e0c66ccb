-- Triggers on the attached table count membership changes per organization, which lets the helpers keep an organization's assistant ids across statements; a role that may not update organizations can still write assistants.
-- Each statement commits on its own, so this test cleans up after itself.
\set SHOW_CONTEXT never
CREATE EXTENSION org_rls;
CREATE TABLE public.bots (id uuid PRIMARY KEY, name text);
SELECT org_rls.attach_assistants('public.bots');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'public.bots'::regclass AND NOT tgisinternal ORDER BY tgname;
INSERT INTO org_rls.organizations (id, name) VALUES
    ('00000000-0000-4000-8000-00000000000a', 'A'), ('00000000-0000-4000-8000-00000000000b', 'B');
CREATE VIEW pg_temp.versions AS SELECT name, assistants_version FROM org_rls.organizations ORDER BY name;

INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000a1', 'a1', '00000000-0000-4000-8000-00000000000a');
INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000b1', 'b1', '00000000-0000-4000-8000-00000000000b');
SELECT * FROM pg_temp.versions;
-- An update that moves no assistant counts nothing.
UPDATE public.bots SET name = 'renamed';
SELECT * FROM pg_temp.versions;
-- A move counts for both organizations.
UPDATE public.bots SET organization_id = '00000000-0000-4000-8000-00000000000b'
 WHERE id = '00000000-0000-4000-8000-0000000000a1';
SELECT * FROM pg_temp.versions;
-- A plain role that writes assistants needs no privilege on organizations.
CREATE ROLE org_rls_bot_writer;
GRANT INSERT, DELETE, SELECT ON public.bots TO org_rls_bot_writer;
SET ROLE org_rls_bot_writer;
INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000a2', 'a2', '00000000-0000-4000-8000-00000000000a');
DELETE FROM public.bots WHERE id = '00000000-0000-4000-8000-0000000000b1';
RESET ROLE;
SELECT * FROM pg_temp.versions;
TRUNCATE public.bots;
SELECT * FROM pg_temp.versions;

-- detach_assistants removes the triggers with the column.
SELECT org_rls.detach_assistants();
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'public.bots'::regclass AND NOT tgisinternal;

DROP VIEW pg_temp.versions;
DROP TABLE public.bots;
DROP EXTENSION org_rls;
DROP ROLE org_rls_bot_writer;
