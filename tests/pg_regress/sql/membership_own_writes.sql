-- A transaction that writes the attached table sees its own changes in every later command, row triggers included, although the membership version moves only at the end of each statement. Each statement commits on its own, so this test cleans up after itself.
\set SHOW_CONTEXT never
CREATE EXTENSION org_rls;
CREATE TABLE public.bots (id uuid PRIMARY KEY, name text);
SELECT org_rls.attach_assistants('public.bots');
INSERT INTO org_rls.organizations (id, name) VALUES ('00000000-0000-4000-8000-00000000000a', 'A');
INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000a1', 'a1', '00000000-0000-4000-8000-00000000000a');

-- A row trigger on the attached table logs each new assistant into a
-- protected table, as the application role.
CREATE TABLE public.bot_log (bot uuid, note text);
SET client_min_messages = error;
SELECT org_rls.protect('public.bot_log', 'bot');
RESET client_min_messages;
CREATE FUNCTION public.log_bot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.bot_log VALUES (NEW.id, 'created');
    RETURN NULL;
END
$$;
CREATE TRIGGER log_bot AFTER INSERT ON public.bots FOR EACH ROW EXECUTE FUNCTION public.log_bot();
CREATE ROLE org_rls_bot_app;
GRANT SELECT, INSERT ON public.bots, public.bot_log TO org_rls_bot_app;

SET ROLE org_rls_bot_app;
SET org_rls.organization_id = '00000000-0000-4000-8000-00000000000a';
-- Looks the organization up, so that its ids are kept with the current version.
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
-- The trigger runs before the version moves, and still finds a2 in A.
INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000a2', 'a2', '00000000-0000-4000-8000-00000000000a');
BEGIN;
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000a3', 'a3', '00000000-0000-4000-8000-00000000000a');
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
COMMIT;
SELECT bot, note FROM public.bot_log ORDER BY bot;
RESET ROLE;

-- With the marking trigger disabled, the helpers cannot tell whether the
-- transaction wrote assistants, and look up again at every command.
ALTER TABLE public.bots DISABLE TRIGGER org_rls_membership_writing;
BEGIN;
-- The first lookup reads the triggers again; the second one is kept.
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
INSERT INTO public.bots VALUES ('00000000-0000-4000-8000-0000000000a4', 'a4', '00000000-0000-4000-8000-00000000000a');
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
ROLLBACK;
ALTER TABLE public.bots ENABLE ALWAYS TRIGGER org_rls_membership_writing;

-- Writes to a child table fire no statement trigger of its parent, so
-- neither the version nor the mark follows them. With a child table, the
-- helpers read the ids again at every new snapshot.
CREATE TABLE public.bots_child () INHERITS (public.bots);
GRANT SELECT, INSERT ON public.bots_child TO org_rls_bot_app;
SET ROLE org_rls_bot_app;
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
INSERT INTO public.bots_child VALUES ('00000000-0000-4000-8000-0000000000a5', 'a5', '00000000-0000-4000-8000-00000000000a');
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
BEGIN;
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
INSERT INTO public.bots_child VALUES ('00000000-0000-4000-8000-0000000000a6', 'a6', '00000000-0000-4000-8000-00000000000a');
SELECT cardinality(org_rls.assistant_ids()) AS assistants;
COMMIT;
RESET ROLE;
DROP TABLE public.bots_child;

RESET org_rls.organization_id;
DROP TABLE public.bot_log;
DROP TABLE public.bots;
DROP FUNCTION public.log_bot();
DROP EXTENSION org_rls;
DROP ROLE org_rls_bot_app;
