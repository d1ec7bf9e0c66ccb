//! PostgreSQL functions that the per-row check calls, declared without
//! pgrx's error boundary. Its setjmp made the per-row check in `row_check.rs`
//! cost about 75 ns instead of 45 (2 million calls in one query, measured
//! with psql's \timing on the benchmark machine). Only functions that cannot
//! raise an error with the arguments org_rls passes belong here.

use pgrx::pg_sys::{Snapshot, SubTransactionId, TransactionId};
use std::ffi::c_char;

#[allow(clashing_extern_declarations)]
unsafe extern "C-unwind" {
    pub fn ActiveSnapshotSet() -> bool;
    pub fn GetActiveSnapshot() -> Snapshot;
    pub fn GetCurrentSubTransactionId() -> SubTransactionId;
    pub fn GetTopTransactionIdIfAny() -> TransactionId;
    /// Raises an error only for an unknown name without `missing_ok`, or for
    /// a superuser-only setting with `restrict_privileged`.
    pub fn GetConfigOption(
        name: *const c_char,
        missing_ok: bool,
        restrict_privileged: bool,
    ) -> *const c_char;
}
