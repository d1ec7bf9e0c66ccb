//! SPI plans prepared once per backend and executed read-only against the
//! calling statement's snapshot.
//!
//! pgrx's own execution runs a query read-write once the transaction has a
//! transaction id, which takes a new snapshot and increments the command
//! counter. A STABLE helper called from a policy must see what the statement
//! sees, so these plans always run with `read_only = true`.

use pgrx::datum::FromDatum;
use pgrx::prelude::*;
use std::ffi::CString;

/// A plan kept by `SPI_keepplan`; it lives until `free` or the end of the backend.
#[derive(Clone, Copy)]
pub struct SavedPlan(pg_sys::SPIPlanPtr);

impl SavedPlan {
    /// Prepares and keeps `query`. Must be called inside `Spi::connect`.
    pub fn prepare(query: &str, argument_types: &[pg_sys::Oid]) -> SavedPlan {
        let query = CString::new(query).expect("queries contain no NUL byte");
        let mut types = argument_types.to_vec();
        // SAFETY: SPI is connected by the caller; SPI_prepare raises on error
        // and SPI_keepplan moves the plan out of the SPI memory context.
        unsafe {
            let plan = pg_sys::SPI_prepare(query.as_ptr(), types.len() as i32, types.as_mut_ptr());
            if plan.is_null() || pg_sys::SPI_keepplan(plan) != 0 {
                error!(
                    "org_rls: preparing a lookup failed (SPI result {})",
                    std::ptr::addr_of!(pg_sys::SPI_result).read()
                );
            }
            SavedPlan(plan)
        }
    }

    /// Releases the plan.
    pub fn free(self) {
        // SAFETY: the plan came from SPI_keepplan and is not used after this.
        unsafe {
            pg_sys::SPI_freeplan(self.0);
        }
    }

    /// Runs the plan and passes its first row to `read`; returns None when
    /// there is no row. Must be called inside `Spi::connect`.
    pub fn first_row<R>(
        &self,
        arguments: &[pg_sys::Datum],
        read: impl FnOnce(&Row) -> R,
    ) -> Option<R> {
        let mut values = arguments.to_vec();
        let nulls = vec![b' ' as std::ffi::c_char; values.len()];
        // SAFETY: SPI is connected and the arguments match the prepared
        // types. `read` copies what it needs before SPI_finish frees the row.
        unsafe {
            let status =
                pg_sys::SPI_execute_plan(self.0, values.as_mut_ptr(), nulls.as_ptr(), true, 1);
            if status != pg_sys::SPI_OK_SELECT as i32 {
                error!("org_rls: a lookup failed (SPI result {status})");
            }
            let table = pg_sys::SPI_tuptable;
            if pg_sys::SPI_processed == 0 || table.is_null() {
                return None;
            }
            Some(read(&Row {
                tuple: *(*table).vals,
                descriptor: (*table).tupdesc,
            }))
        }
    }

    /// Runs the plan and returns the first column of the first row; None when
    /// there is no row or the value is NULL.
    pub fn first_value<T: FromDatum>(&self, arguments: &[pg_sys::Datum]) -> Option<T> {
        self.first_row(arguments, |row| row.get::<T>(1)).flatten()
    }
}

/// One result row of a saved plan, valid until SPI_finish.
pub struct Row {
    tuple: pg_sys::HeapTuple,
    descriptor: pg_sys::TupleDesc,
}

impl Row {
    /// Converts column `number` (1-based) into a Rust value; None for NULL.
    pub fn get<T: FromDatum>(&self, number: i32) -> Option<T> {
        let mut is_null = false;
        // SAFETY: the row and its descriptor come from SPI_tuptable and are
        // alive while the SPI connection is; from_datum copies the value.
        unsafe {
            let datum = pg_sys::SPI_getbinval(self.tuple, self.descriptor, number, &mut is_null);
            T::from_datum(datum, is_null)
        }
    }
}
