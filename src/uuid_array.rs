//! A uuid[] built with one copy: pgrx's conversion of a `Vec<Uuid>` makes
//! one allocation per element, which costs about 0.2 ms for an organization
//! of 2,000 assistants on every statement.

use pgrx::callconv::{BoxRet, FcInfo};
use pgrx::datum::{Datum, IntoDatum};
use pgrx::prelude::*;

/// The assistant ids that `assistant_ids()` returns, as SQL `uuid[]`.
pub struct UuidArray(pub crate::assistants::Ids);

impl_sql_translatable!(UuidArray, "uuid[]");

/// Size of a one-dimensional ArrayType header without a null bitmap
/// (ARR_OVERHEAD_NONULLS(1) in PostgreSQL's array.h): 16 bytes of ArrayType,
/// one dimension and one lower bound, rounded up to MAXALIGN (8).
const HEADER_BYTES: usize = 24;
const UUID_BYTES: usize = 16;

impl IntoDatum for UuidArray {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        // SAFETY: construct_empty_array allocates a valid empty array.
        if self.0.is_empty() {
            return Some(unsafe { pg_sys::construct_empty_array(pg_sys::UUIDOID) }.into());
        }
        let total = HEADER_BYTES + UUID_BYTES * self.0.len();
        // SAFETY: the allocation has room for the header and every element.
        // uuid has typlen 16 and char alignment, so the elements follow each
        // other without padding, in the layout that array.h defines.
        unsafe {
            let array = pg_sys::palloc0(total) as *mut pg_sys::ArrayType;
            pgrx::set_varsize_4b(array.cast(), total as i32);
            (*array).ndim = 1;
            (*array).dataoffset = 0;
            (*array).elemtype = pg_sys::UUIDOID;
            let dimensions =
                (array as *mut u8).add(std::mem::size_of::<pg_sys::ArrayType>()) as *mut i32;
            *dimensions = self.0.len() as i32;
            *dimensions.add(1) = 1;
            let mut element = (array as *mut u8).add(HEADER_BYTES);
            for id in self.0.iter() {
                std::ptr::copy_nonoverlapping(id.as_bytes().as_ptr(), element, UUID_BYTES);
                element = element.add(UUID_BYTES);
            }
            Some(pg_sys::Datum::from(array))
        }
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::UUIDARRAYOID
    }
}

// SAFETY: the datum comes from `into_datum`, which always returns one.
unsafe impl BoxRet for UuidArray {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        match self.into_datum() {
            Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
            None => fcinfo.return_null(),
        }
    }
}
