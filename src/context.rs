//! The current organization. Sources, first match wins: the setting
//! `org_rls.organization_id` (which `use_organization` sets), the JWT claim
//! named by `org_rls.jwt_claim`, then the organization of the assistant named
//! by the setting that `org_rls.legacy_tenant_setting` names. Empty values
//! count as unset; a value that is not a uuid raises 22023 naming its source.

use crate::{assistants, settings, uuid_text};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::Uuid;
use serde_json::Value;
use std::ffi::{CStr, CString};

/// Returns the current organization, or NULL when no source sets one.
#[pg_extern(stable, parallel_safe)]
pub fn organization_id() -> Option<Uuid> {
    if let Some(value) = settings::own_value(&settings::ORGANIZATION_ID) {
        return Some(parse_setting(
            settings::ORGANIZATION_SETTING,
            &value,
            SETTING_HINT,
        ));
    }
    if let Some(organization) = from_jwt_claims() {
        return Some(organization);
    }
    from_legacy_tenant()
}

/// Sets the current organization until the end of the current transaction;
/// NULL clears it. Returns its argument.
#[pg_extern(volatile)]
fn use_organization(organization_id: Option<Uuid>) -> Option<Uuid> {
    // SAFETY: reads the state of the current transaction, which always exists here.
    if !unsafe { pg_sys::IsTransactionBlock() } {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_NO_ACTIVE_SQL_TRANSACTION,
            "org_rls.use_organization() outside a transaction block lasts only for this statement",
            function_name!(),
        )
        .set_hint("Call it after BEGIN, in the transaction whose statements need the organization.")
        .report(PgLogLevel::WARNING);
    }
    let value = organization_id.map(|id| id.to_string()).unwrap_or_default();
    set_local(settings::ORGANIZATION_SETTING, &value);
    organization_id
}

fn set_local(name: &str, value: &str) {
    let name = CString::new(name).expect("setting names contain no NUL byte");
    let value = CString::new(value).expect("uuid text contains no NUL byte");
    // SAFETY: both strings outlive the call, which copies them. The context
    // and source are those of set_config(name, value, true) for a plain role.
    unsafe {
        pg_sys::set_config_option(
            name.as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_LOCAL,
            true,
            0,
            false,
        );
    }
}

fn from_jwt_claims() -> Option<Uuid> {
    let claim = settings::own_value(&settings::JWT_CLAIM)?;
    let text = settings::value_by_name(settings::JWT_CLAIMS_SETTING)?;
    let claims: Value = serde_json::from_str(&text).unwrap_or_else(|error| {
        raise_invalid(
            format!(
                "setting \"{}\" is not valid JSON",
                settings::JWT_CLAIMS_SETTING
            ),
            format!("The JSON parser reported: {error}."),
            CLAIM_HINT,
        )
    });
    match claims.get(&claim) {
        None | Some(Value::Null) => None,
        Some(Value::String(value)) if value.is_empty() => None,
        Some(Value::String(value)) => Some(uuid_text::parse(value).unwrap_or_else(|| {
            raise_invalid(
                format!(
                    "invalid value for claim \"{claim}\" in setting \"{}\": \"{value}\"",
                    settings::JWT_CLAIMS_SETTING
                ),
                "The claim must be a uuid string.".into(),
                CLAIM_HINT,
            )
        })),
        Some(other) => raise_invalid(
            format!(
                "invalid value for claim \"{claim}\" in setting \"{}\": {other}",
                settings::JWT_CLAIMS_SETTING
            ),
            "The claim must be a uuid string.".into(),
            CLAIM_HINT,
        ),
    }
}

fn from_legacy_tenant() -> Option<Uuid> {
    let name = settings::own_value(&settings::LEGACY_TENANT_SETTING)?;
    let value = settings::value_by_name(&name)?;
    let assistant = parse_setting(&name, &value, LEGACY_HINT);
    assistants::organization_of(assistant)
}

const SETTING_HINT: &str =
    "Set an organization id with org_rls.use_organization(), or reset the setting.";
const CLAIM_HINT: &str = "Put the organization's uuid in the token's claim, or set org_rls.jwt_claim to the claim that holds it.";
const LEGACY_HINT: &str =
    "Set it to an assistant's id, or leave it empty; org_rls.legacy_tenant_setting names it.";

fn parse_setting(name: &str, value: &str, hint: &str) -> Uuid {
    uuid_text::parse(value).unwrap_or_else(|| {
        raise_invalid(
            format!("invalid value for setting \"{name}\": \"{value}\""),
            "The value must be a uuid.".into(),
            hint,
        )
    })
}

fn raise_invalid(message: String, detail: String, hint: &str) -> ! {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        message,
        function_name!(),
    )
    .set_detail(detail)
    .set_hint(hint)
    .report(PgLogLevel::ERROR);
    unreachable!("an ERROR report does not return")
}

/// The raw values of the settings that decide the current organization, in
/// the order `organization_id()` reads them. A cached result stays valid
/// while they are byte for byte the same and the snapshot is the same, which
/// costs no parsing and no lookup to check.
#[derive(PartialEq)]
pub struct Inputs(Vec<Option<CString>>);

impl Inputs {
    pub fn read() -> Inputs {
        let mut values = Vec::with_capacity(5);
        visit_inputs(|value| {
            values.push(value.map(CStr::to_owned));
            true
        });
        Inputs(values)
    }

    /// True when every setting still contains the value it had when read.
    pub fn unchanged(&self) -> bool {
        let mut stored = self.0.iter();
        visit_inputs(|value| stored.next().is_some_and(|old| old.as_deref() == value))
            && stored.next().is_none()
    }
}

/// Calls `visit` with each input in turn and stops at the first false. The
/// organization setting, when set, decides alone; otherwise the JWT claim's
/// name, the claims, the legacy setting's name and its value follow.
fn visit_inputs(mut visit: impl FnMut(Option<&CStr>) -> bool) -> bool {
    let organization = settings::own_raw(&settings::ORGANIZATION_ID);
    if !visit(organization) {
        return false;
    }
    if organization.is_some() {
        return true;
    }
    let claim = settings::own_raw(&settings::JWT_CLAIM);
    if !visit(claim) || !visit(claim.and_then(|_| settings::raw_by_name(JWT_CLAIMS))) {
        return false;
    }
    let legacy = settings::own_raw(&settings::LEGACY_TENANT_SETTING);
    visit(legacy) && visit(legacy.and_then(settings::raw_by_name))
}

const JWT_CLAIMS: &CStr = c"request.jwt.claims";
