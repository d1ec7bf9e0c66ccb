//! `cargo pgrx test` units for the Rust helpers. Each test runs in its own
//! transaction, which the framework rolls back.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    /// Returns the SQLSTATE and message that `statement` raises, or "no error".
    fn error_of(statement: &str) -> String {
        Spi::run(
            "CREATE OR REPLACE FUNCTION pg_temp.error_of(statement text) RETURNS text \
             LANGUAGE plpgsql AS $$ BEGIN EXECUTE statement; RETURN 'no error'; \
             EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM; END $$",
        )
        .unwrap();
        Spi::get_one_with_args::<String>("SELECT pg_temp.error_of($1)", &[statement.into()])
            .unwrap()
            .unwrap()
    }

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).unwrap()
    }

    const ORG_A: &str = "00000000-0000-4000-8000-00000000000a";
    const ORG_B: &str = "00000000-0000-4000-8000-00000000000b";
    const ASSISTANT_A1: &str = "00000000-0000-4000-8000-0000000000a1";
    const ASSISTANT_A2: &str = "00000000-0000-4000-8000-0000000000a2";
    const ASSISTANT_B1: &str = "00000000-0000-4000-8000-0000000000b1";
    const ASSISTANT_C1: &str = "00000000-0000-4000-8000-0000000000c1";

    /// Creates and attaches a small assistants table: A1 and A2 belong to
    /// organization A, B1 to organization B.
    fn attach_example() {
        Spi::run(&format!(
            "CREATE TABLE public.bots (id uuid PRIMARY KEY, name text);
             INSERT INTO public.bots VALUES ('{ASSISTANT_A1}', 'a1'), ('{ASSISTANT_A2}', 'a2'),
                                            ('{ASSISTANT_B1}', 'b1');
             SELECT org_rls.attach_assistants('public.bots');
             INSERT INTO org_rls.organizations (id, name) VALUES ('{ORG_A}', 'A'), ('{ORG_B}', 'B');
             UPDATE public.bots SET organization_id = CASE WHEN name LIKE 'a%' THEN '{ORG_A}'::uuid
                                                           ELSE '{ORG_B}'::uuid END;"
        ))
        .unwrap();
    }

    #[pg_test]
    fn organization_id_unset_is_null() {
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
    }

    #[pg_test]
    fn organization_id_empty_is_null() {
        Spi::run("SET LOCAL org_rls.organization_id = ''").unwrap();
        Spi::run("SET LOCAL request.jwt.claims = ''").unwrap();
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
    }

    #[pg_test]
    fn organization_id_reads_setting() {
        Spi::run(&format!("SET LOCAL org_rls.organization_id = '{ORG_A}'")).unwrap();
        assert_eq!(
            text("SELECT org_rls.organization_id()::text").as_deref(),
            Some(ORG_A)
        );
    }

    #[pg_test]
    fn organization_id_invalid_setting_raises() {
        Spi::run("SET LOCAL org_rls.organization_id = 'not-a-uuid'").unwrap();
        assert_eq!(
            error_of("SELECT org_rls.organization_id()"),
            "22023: invalid value for setting \"org_rls.organization_id\": \"not-a-uuid\""
        );
    }

    #[pg_test]
    fn use_organization_sets_and_clears() {
        let returned = text(&format!("SELECT org_rls.use_organization('{ORG_B}')::text"));
        assert_eq!(returned.as_deref(), Some(ORG_B));
        assert_eq!(
            text("SELECT org_rls.organization_id()::text").as_deref(),
            Some(ORG_B)
        );
        assert_eq!(text("SELECT org_rls.use_organization(NULL)::text"), None);
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
    }

    #[pg_test]
    fn jwt_claim_sets_organization() {
        Spi::run(&format!(
            "SET LOCAL request.jwt.claims = '{{\"sub\": \"u1\", \"org_id\": \"{ORG_A}\"}}'"
        ))
        .unwrap();
        assert_eq!(
            text("SELECT org_rls.organization_id()::text").as_deref(),
            Some(ORG_A)
        );
    }

    #[pg_test]
    fn jwt_claim_name_is_a_setting() {
        Spi::run(&format!(
            "SET LOCAL request.jwt.claims = '{{\"tenant\": \"{ORG_B}\"}}'"
        ))
        .unwrap();
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
        Spi::run("SET LOCAL org_rls.jwt_claim = 'tenant'").unwrap();
        assert_eq!(
            text("SELECT org_rls.organization_id()::text").as_deref(),
            Some(ORG_B)
        );
        Spi::run("SET LOCAL org_rls.jwt_claim = ''").unwrap();
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
    }

    #[pg_test]
    fn setting_takes_precedence_over_claim() {
        Spi::run(&format!(
            "SET LOCAL request.jwt.claims = '{{\"org_id\": \"{ORG_B}\"}}'"
        ))
        .unwrap();
        Spi::run(&format!("SET LOCAL org_rls.organization_id = '{ORG_A}'")).unwrap();
        assert_eq!(
            text("SELECT org_rls.organization_id()::text").as_deref(),
            Some(ORG_A)
        );
    }

    #[pg_test]
    fn jwt_claim_errors_name_the_setting() {
        let cases = [
            (
                "not json",
                "22023: setting \"request.jwt.claims\" is not valid JSON",
            ),
            (
                "{\"org_id\": 42}",
                "22023: invalid value for claim \"org_id\" in setting \"request.jwt.claims\": 42",
            ),
            (
                "{\"org_id\": \"nope\"}",
                "22023: invalid value for claim \"org_id\" in setting \"request.jwt.claims\": \"nope\"",
            ),
        ];
        for (claims, expected) in cases {
            Spi::run(&format!("SET LOCAL request.jwt.claims = '{claims}'")).unwrap();
            assert_eq!(
                error_of("SELECT org_rls.organization_id()"),
                expected,
                "claims {claims}"
            );
        }
    }

    #[pg_test]
    fn jwt_claim_null_or_missing_is_unset() {
        for claims in ["{\"org_id\": null}", "{\"org_id\": \"\"}", "{}", "[1, 2]"] {
            Spi::run(&format!("SET LOCAL request.jwt.claims = '{claims}'")).unwrap();
            assert_eq!(
                text("SELECT org_rls.organization_id()::text"),
                None,
                "claims {claims}"
            );
        }
    }

    #[pg_test]
    fn legacy_tenant_setting_maps_assistant() {
        attach_example();
        Spi::run("SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant'").unwrap();
        Spi::run(&format!("SET LOCAL app.current_tenant = '{ASSISTANT_B1}'")).unwrap();
        assert_eq!(
            text("SELECT org_rls.organization_id()::text").as_deref(),
            Some(ORG_B)
        );
        Spi::run("SET LOCAL app.current_tenant = '00000000-0000-4000-8000-000000000999'").unwrap();
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
        Spi::run("SET LOCAL app.current_tenant = 'B1'").unwrap();
        assert_eq!(
            error_of("SELECT org_rls.organization_id()"),
            "22023: invalid value for setting \"app.current_tenant\": \"B1\""
        );
    }

    /// Without a uuid primary key on the id column, the lookup cannot use
    /// its index scan and runs its SQL query instead, with the same results.
    #[pg_test]
    fn legacy_tenant_setting_without_primary_key() {
        attach_example();
        Spi::run(
            "ALTER TABLE public.bots DROP CONSTRAINT bots_pkey;
             ALTER TABLE public.bots ADD COLUMN code text;
             UPDATE public.bots SET code = name;
             ALTER TABLE public.bots ADD PRIMARY KEY (code);
             SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant'",
        )
        .unwrap();
        for (assistant, organization) in [(ASSISTANT_A2, Some(ORG_A)), (ASSISTANT_B1, Some(ORG_B))]
        {
            Spi::run(&format!("SET LOCAL app.current_tenant = '{assistant}'")).unwrap();
            assert_eq!(
                text("SELECT org_rls.organization_id()::text").as_deref(),
                organization
            );
        }
        Spi::run("SET LOCAL app.current_tenant = '00000000-0000-4000-8000-000000000999'").unwrap();
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
    }

    /// Checks that an assistant in a child table of the attached one is
    /// found, as the SQL lookup finds it, though the index scan reads only
    /// the parent.
    #[pg_test]
    fn legacy_tenant_setting_reads_child_tables() {
        attach_example();
        add_child_assistant();
        Spi::run("SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant'").unwrap();
        assert_eq!(organization_of_tenant(ASSISTANT_C1).as_deref(), Some(ORG_A));
        assert_eq!(organization_of_tenant(ASSISTANT_B1).as_deref(), Some(ORG_B));
    }

    /// Checks that a child table created after a read by primary key kept
    /// the table's layout sends the next lookups back to SQL.
    #[pg_test]
    fn legacy_tenant_setting_reads_child_added_later() {
        attach_example();
        Spi::run("SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant'").unwrap();
        // The first lookup prepares the SQL plans; the second reads by
        // primary key and keeps the table's layout.
        assert_eq!(organization_of_tenant(ASSISTANT_A1).as_deref(), Some(ORG_A));
        assert_eq!(organization_of_tenant(ASSISTANT_B1).as_deref(), Some(ORG_B));
        add_child_assistant();
        assert_eq!(organization_of_tenant(ASSISTANT_C1).as_deref(), Some(ORG_A));
    }

    /// Adds a child table of the example's assistants table, holding C1 of
    /// organization A.
    fn add_child_assistant() {
        Spi::run(&format!(
            "CREATE TABLE public.bots_child () INHERITS (public.bots);
             INSERT INTO public.bots_child (id, name, organization_id)
             VALUES ('{ASSISTANT_C1}', 'c1', '{ORG_A}')"
        ))
        .unwrap();
    }

    /// Returns the current organization with `app.current_tenant` set to `assistant`.
    fn organization_of_tenant(assistant: &str) -> Option<String> {
        Spi::run(&format!("SET LOCAL app.current_tenant = '{assistant}'")).unwrap();
        text("SELECT org_rls.organization_id()::text")
    }

    #[pg_test]
    fn legacy_tenant_setting_without_table() {
        Spi::run("SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant'").unwrap();
        Spi::run(&format!("SET LOCAL app.current_tenant = '{ASSISTANT_A1}'")).unwrap();
        assert_eq!(text("SELECT org_rls.organization_id()::text"), None);
        assert_eq!(
            text("SELECT org_rls.assistant_ids()::text").as_deref(),
            Some("{}")
        );
    }

    #[pg_test]
    fn assistant_ids_empty_without_context() {
        attach_example();
        assert_eq!(
            text("SELECT org_rls.assistant_ids()::text").as_deref(),
            Some("{}")
        );
    }

    #[pg_test]
    fn assistant_ids_lists_organization() {
        attach_example();
        Spi::run(&format!("SELECT org_rls.use_organization('{ORG_A}')")).unwrap();
        let expected = format!("{{{ASSISTANT_A1},{ASSISTANT_A2}}}");
        assert_eq!(text("SELECT org_rls.assistant_ids()::text"), Some(expected));
    }

    #[pg_test]
    fn assistant_ids_ignore_caller_policies() {
        attach_example();
        // A plain role that may see only assistant A1 still gets every assistant
        // of its organization, because the lookup runs as the extension owner.
        Spi::run(&format!(
            "CREATE ROLE org_rls_test_reader;
             GRANT SELECT ON public.bots TO org_rls_test_reader;
             ALTER TABLE public.bots ENABLE ROW LEVEL SECURITY;
             CREATE POLICY only_a1 ON public.bots USING (id = '{ASSISTANT_A1}');
             SELECT org_rls.protect('public.bots');
             SELECT org_rls.use_organization('{ORG_A}');
             SET LOCAL ROLE org_rls_test_reader;"
        ))
        .unwrap();
        assert_eq!(
            text("SELECT count(*)::text FROM public.bots").as_deref(),
            Some("1")
        );
        let expected = format!("{{{ASSISTANT_A1},{ASSISTANT_A2}}}");
        assert_eq!(text("SELECT org_rls.assistant_ids()::text"), Some(expected));
        assert_eq!(
            text("SELECT current_user::text").as_deref(),
            Some("org_rls_test_reader")
        );
    }

    #[pg_test]
    fn protected_assistants_filter_by_organization() {
        attach_example();
        Spi::run(&format!(
            "CREATE ROLE org_rls_test_member;
             GRANT SELECT, INSERT ON public.bots TO org_rls_test_member;
             SELECT org_rls.protect('public.bots');
             SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant';
             SET LOCAL app.current_tenant = '{ASSISTANT_A2}';
             SET LOCAL ROLE org_rls_test_member;"
        ))
        .unwrap();
        assert_eq!(
            text("SELECT string_agg(name, ',' ORDER BY name) FROM public.bots").as_deref(),
            Some("a1,a2")
        );
        assert_eq!(
            error_of(&format!(
                "INSERT INTO public.bots (id, name, organization_id) VALUES (gen_random_uuid(), 'x', '{ORG_B}')"
            )),
            "42501: new row violates row-level security policy for table \"bots\""
        );
        // The column default puts a new assistant into the current organization.
        assert_eq!(
            error_of("INSERT INTO public.bots (id, name) VALUES (gen_random_uuid(), 'a3')"),
            "no error"
        );
    }

    #[pg_test]
    fn inputs_follow_every_source() {
        use crate::context::Inputs;
        Spi::run(&format!("SET LOCAL org_rls.organization_id = '{ORG_A}'")).unwrap();
        let explicit = Inputs::read();
        assert!(explicit.unchanged());
        // Other sources do not count while the organization setting decides.
        Spi::run("SET LOCAL request.jwt.claims = '{}'").unwrap();
        assert!(explicit.unchanged());
        Spi::run(&format!("SET LOCAL org_rls.organization_id = '{ORG_B}'")).unwrap();
        assert!(!explicit.unchanged());

        Spi::run("SET LOCAL org_rls.organization_id = ''").unwrap();
        Spi::run(&format!(
            "SET LOCAL request.jwt.claims = '{{\"org_id\": \"{ORG_A}\"}}'"
        ))
        .unwrap();
        let claims = Inputs::read();
        assert!(claims.unchanged());
        Spi::run(&format!(
            "SET LOCAL request.jwt.claims = '{{\"org_id\": \"{ORG_B}\"}}'"
        ))
        .unwrap();
        assert!(!claims.unchanged());

        Spi::run("SET LOCAL request.jwt.claims = ''").unwrap();
        Spi::run("SET LOCAL org_rls.legacy_tenant_setting = 'app.current_tenant'").unwrap();
        Spi::run(&format!("SET LOCAL app.current_tenant = '{ASSISTANT_A1}'")).unwrap();
        let legacy = Inputs::read();
        assert!(legacy.unchanged());
        Spi::run(&format!("SET LOCAL app.current_tenant = '{ASSISTANT_B1}'")).unwrap();
        assert!(!legacy.unchanged());
    }

    #[pg_test]
    fn in_organization_checks_membership() {
        attach_example();
        Spi::run(&format!("SET LOCAL org_rls.organization_id = '{ORG_A}'")).unwrap();
        let member = |assistant: &str| {
            Spi::get_one::<bool>(&format!("SELECT org_rls.in_organization('{assistant}')")).unwrap()
        };
        assert_eq!(member(ASSISTANT_A1), Some(true));
        assert_eq!(member(ASSISTANT_A2), Some(true));
        assert_eq!(member(ASSISTANT_B1), Some(false));
        assert_eq!(
            Spi::get_one::<bool>("SELECT org_rls.in_organization(NULL)").unwrap(),
            None
        );
        Spi::run("SET LOCAL org_rls.organization_id = ''").unwrap();
        assert_eq!(member(ASSISTANT_A1), Some(false));
    }
}
