//! Checks the PL/pgSQL migration steps need but PL/pgSQL cannot make.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Raises 25001 when called inside a transaction block, where a procedure
/// that commits would fail only after doing its first batch of work.
#[pg_extern(volatile, name = "_reject_transaction_block")]
fn reject_transaction_block(command: &str) {
    // SAFETY: reads the state of the current transaction, which always exists here.
    if unsafe { pg_sys::IsTransactionBlock() } {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_ACTIVE_SQL_TRANSACTION,
            format!("{command} cannot run inside a transaction block"),
            function_name!(),
        )
        .set_detail("It commits after each batch.")
        .set_hint("Run it on its own, or call org_rls.backfill_batch() in your transaction.")
        .report(PgLogLevel::ERROR);
    }
}
