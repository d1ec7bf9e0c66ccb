-- org_rls 0.1.0 to 0.2.0. Released upgrade scripts are never edited: a
-- change after a release goes into the next version's script.
\echo Use "ALTER EXTENSION org_rls UPDATE TO '0.2.0'" to load this file. \quit
