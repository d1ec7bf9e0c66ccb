//! The extension's settings (GUCs) and reading of other settings by name.

use crate::unguarded;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::{CStr, CString};

pub const ORGANIZATION_SETTING: &str = "org_rls.organization_id";
pub const JWT_CLAIMS_SETTING: &str = "request.jwt.claims";

pub static ORGANIZATION_ID: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
pub static JWT_CLAIM: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"org_id"));
pub static LEGACY_TENANT_SETTING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(None);
pub static LOCK_TIMEOUT_MS: GucSetting<i32> = GucSetting::<i32>::new(5000);

/// Registers the settings; called once per backend from `_PG_init`.
pub fn register() {
    GucRegistry::define_string_guc(
        c"org_rls.organization_id",
        c"Current organization (uuid); empty means unset.",
        c"org_rls.use_organization() sets it for the current transaction only.",
        &ORGANIZATION_ID,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"org_rls.jwt_claim",
        c"Claim of request.jwt.claims that holds the organization id.",
        c"Read when org_rls.organization_id is unset. Empty disables the claim.",
        &JWT_CLAIM,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"org_rls.legacy_tenant_setting",
        c"Name of the application's setting that holds the current assistant id.",
        c"When set, for example to app.current_tenant, and no organization is set otherwise, the current organization is that assistant's organization.",
        &LEGACY_TENANT_SETTING,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"org_rls.lock_timeout",
        c"How long a migration step waits for a lock on a table before it fails, changing nothing.",
        c"Applied to the LOCK TABLE each DDL step takes first. 0 waits without limit.",
        &LOCK_TIMEOUT_MS,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::UNIT_MS,
    );
}

/// Returns org_rls.lock_timeout in milliseconds. Calling it loads the
/// library, so a value set before the library was loaded is checked first.
#[pgrx::pg_extern(stable, name = "_lock_timeout_ms")]
pub fn lock_timeout_ms() -> i32 {
    LOCK_TIMEOUT_MS.get()
}

/// Returns a string setting of this extension, with empty read as unset.
pub fn own_value(setting: &GucSetting<Option<CString>>) -> Option<String> {
    own_raw(setting).map(owned)
}

/// Returns the value of any setting by name, with empty and undefined read as unset.
pub fn value_by_name(name: &str) -> Option<String> {
    let name = CString::new(name).ok()?;
    raw_by_name(&name).map(owned)
}

fn owned(value: &CStr) -> String {
    value.to_string_lossy().into_owned()
}

/// Returns this extension's string setting as stored, None when unset or
/// empty. The reference is valid until the setting changes, so callers use
/// it at once and keep nothing of it but copies.
pub fn own_raw(setting: &GucSetting<Option<CString>>) -> Option<&'static CStr> {
    // SAFETY: the GUC machinery keeps the pointer NULL or pointing to a
    // NUL-terminated string it owns.
    unsafe { borrow_raw(*setting.as_ptr()) }
}

/// Returns the value of any setting by name without copying it, None when
/// undefined or empty, valid like `own_raw`'s.
pub fn raw_by_name(name: &CStr) -> Option<&'static CStr> {
    // SAFETY: GetConfigOption returns NULL or a pointer into GUC storage.
    // With missing_ok and without restrict_privileged it raises no error.
    unsafe { borrow_raw(unguarded::GetConfigOption(name.as_ptr(), true, false)) }
}

unsafe fn borrow_raw(raw: *const std::ffi::c_char) -> Option<&'static CStr> {
    if raw.is_null() {
        return None;
    }
    // SAFETY: the caller passes a NUL-terminated string.
    let value = unsafe { CStr::from_ptr(raw) };
    (!value.is_empty()).then_some(value)
}
