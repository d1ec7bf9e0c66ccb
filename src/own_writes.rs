//! Whether the current transaction writes the attached assistants table.
//!
//! A statement-level BEFORE trigger on the attached table records the
//! transaction before the statement changes any row (sql/attach.sql creates
//! it with the membership triggers). From then until the transaction ends,
//! each command may see other assistants than the one before, and the
//! organization's membership version is not incremented until the AFTER
//! trigger at the end of each statement: a row trigger on the assistants
//! table already sees the new rows but not the new version. The lookups
//! then start again at each command and do not use ids kept across
//! statements.
//!
//! A transaction that never wrote the table sees the same assistants in all
//! its commands and subtransactions, so one lookup serves them all. That
//! holds only while the trigger exists and is enabled; the lookups read
//! whether it is, with the attached table, and assume writes otherwise.

use crate::unguarded;
use pgrx::prelude::*;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The top-level transaction id of the last transaction whose statement
/// fired the trigger; 0 before any. Atomics rather than thread-locals: the
/// per-row check reads them on every row, and a backend has one thread.
static WRITER: AtomicU32 = AtomicU32::new(0);
/// How many statements of this backend fired the trigger. A result looked
/// up before a write never serves a command after it, even in a later
/// transaction whose snapshot looks the same.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// The attached-table generation (see `assistants.rs`) at which the trigger
/// was last read as present and enabled; `u64::MAX` when it was not.
static MARKED_GENERATION: AtomicU64 = AtomicU64::new(u64::MAX);

/// Records whether the trigger was present and enabled when the attached
/// table was read at `generation`.
pub fn set_marked(generation: u64, marked: bool) {
    let value = if marked { generation } else { u64::MAX };
    MARKED_GENERATION.store(value, Ordering::Relaxed);
}

/// True when the current transaction may have written the assistants table:
/// it fired the trigger, or the trigger is not known to be in place at
/// `generation`.
pub fn possible(generation: u64) -> bool {
    MARKED_GENERATION.load(Ordering::Relaxed) != generation || current()
}

/// Returns the number of statements of this backend that fired the trigger.
pub fn count() -> u64 {
    WRITES.load(Ordering::Relaxed)
}

/// True when the current transaction fired the trigger.
pub fn current() -> bool {
    let writer = WRITER.load(Ordering::Relaxed);
    // SAFETY: reads a variable of the transaction state.
    writer != 0 && writer == unsafe { unguarded::GetTopTransactionIdIfAny() }.into_inner()
}

/// The trigger function: marks the current transaction as a writer of the
/// assistants table. A statement that changes rows needs a transaction id
/// anyway; one that changes none gets an id it would not have had.
#[pg_trigger(sql = false)]
fn assistants_writing<'a>(
    _trigger: &'a pgrx::PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgHeapTupleError> {
    // SAFETY: assigns or reads the top-level transaction id, inside a transaction.
    let writer = unsafe { pg_sys::GetTopTransactionId() };
    WRITER.store(writer.into_inner(), Ordering::Relaxed);
    WRITES.fetch_add(1, Ordering::Relaxed);
    Ok(None)
}
