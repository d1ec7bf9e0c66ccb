SELECT org_rls.assistant_ids();
