-- assistant_ids() without sending the array to the client.
SELECT cardinality(org_rls.assistant_ids());
