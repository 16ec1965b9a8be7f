//! The buffer store: tensor buffers reused across training steps. A step allocates the same
//! buffers as the step before it (activations, gradients, the optimizer's copies); handing each
//! back to the system when its tensor drops and asking again in the next step made glibc trim
//! and regrow its heap every step, a page fault per 4 KiB: 22% of W3 (docs/performance.md).
//! Buffers of tensors that drop come here instead, and ops take their output buffers from here
//! first.
//!
//! Only buffers of at least [`MIN_LEN`] values are kept (the allocator serves small ones well),
//! keyed by exact length (a training loop asks for the same lengths every step), and at most
//! the cap in all ([`DEFAULT_CAP_BYTES`] unless [`set_cap`] or `NABLA_BUFFER_CAP_MB` says
//! otherwise): a buffer that would pass it is freed. [`clear`] frees every kept buffer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::ArcArray;

use crate::tensor::Data;

/// Buffers shorter than this go back to the allocator.
pub const MIN_LEN: usize = 1 << 12;
/// The most the store holds unless told otherwise, in bytes (256 MiB).
pub const DEFAULT_CAP_BYTES: usize = 1 << 28;

/// The cap in bytes; `usize::MAX` until first read, when `NABLA_BUFFER_CAP_MB` or the default
/// sets it.
static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The most the store holds, in bytes.
pub fn cap() -> usize {
    let cap = CAP.load(Ordering::Relaxed);
    if cap != usize::MAX {
        return cap;
    }
    let from_env = std::env::var("NABLA_BUFFER_CAP_MB").ok().and_then(|mb| mb.trim().parse::<usize>().ok());
    let cap = from_env.map_or(DEFAULT_CAP_BYTES, |mb| mb.saturating_mul(1 << 20).min(usize::MAX - 1));
    // Whoever set a cap first wins; the environment only fills an unset one.
    match CAP.compare_exchange(usize::MAX, cap, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => cap,
        Err(set) => set,
    }
}

/// Sets the most the store holds, in bytes (0 keeps nothing), and frees kept buffers until it
/// holds no more than that; returns the bytes freed.
pub fn set_cap(bytes: usize) -> usize {
    CAP.store(bytes.min(usize::MAX - 1), Ordering::Relaxed);
    with_pool(|pool| {
        let mut freed = 0;
        let mut lens: Vec<usize> = pool.by_len.keys().copied().collect();
        // The largest go first: fewest frees for the bytes.
        lens.sort_unstable_by(|a, b| b.cmp(a));
        for len in lens {
            while pool.bytes > bytes {
                let Some(_) = pool.by_len.get_mut(&len).and_then(Vec::pop) else { break };
                pool.bytes -= len * size_of::<f32>();
                freed += len * size_of::<f32>();
            }
        }
        pool.by_len.retain(|_, kept| !kept.is_empty());
        freed
    })
}

/// Frees every kept buffer; returns the bytes freed. The cap stays as it is.
pub fn clear() -> usize {
    with_pool(|pool| {
        let freed = pool.bytes;
        *pool = Pool::default();
        freed
    })
}

/// The bytes the store holds now.
pub fn held_bytes() -> usize {
    with_pool(|pool| pool.bytes)
}

#[derive(Default)]
struct Pool {
    by_len: HashMap<usize, Vec<Vec<f32>>>,
    bytes: usize,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

fn with_pool<R>(f: impl FnOnce(&mut Pool) -> R) -> R {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(Pool::default))
}

/// A buffer of `len` values for an op to overwrite completely: a kept one (holding the values
/// of whatever tensor had it last) or a new one of zeros.
pub fn buffer(len: usize) -> Vec<f32> {
    if len >= MIN_LEN
        && let Some(values) = with_pool(|pool| {
            let values = pool.by_len.get_mut(&len)?.pop()?;
            pool.bytes -= len * size_of::<f32>();
            Some(values)
        })
    {
        return values;
    }
    // Zeros written, not calloc'd: see `zeros_written`.
    let mut values = Vec::with_capacity(len);
    values.resize(len, 0.0);
    values
}

/// Keeps `values` for a later [`buffer`] of the same length, if it is long enough and the
/// pool has room; returns whether it did.
pub fn give(mut values: Vec<f32>) -> bool {
    let len = values.len();
    if len < MIN_LEN {
        return false;
    }
    // Count what the buffer really holds: a buffer with spare capacity is trimmed first.
    values.shrink_to_fit();
    with_pool(|pool| {
        let bytes = len * size_of::<f32>();
        let room = pool.bytes + bytes <= cap();
        if room {
            pool.bytes += bytes;
            pool.by_len.entry(len).or_default().push(values);
        }
        room
    })
}

/// Gives the buffer behind `data` to the pool when `data` is its only owner and covers all
/// of it; otherwise just drops `data`.
pub fn recycle(data: Data) {
    if data.len() < MIN_LEN {
        return;
    }
    let Ok(array) = data.try_into_owned_nocopy() else { return };
    let len = array.len();
    let (values, offset) = array.into_raw_vec_and_offset();
    if offset.unwrap_or(0) == 0 && values.len() == len {
        give(values);
    }
}

/// An empty array, to leave in place of data taken out for recycling.
pub(crate) fn empty() -> Data {
    ArcArray::from_shape_vec(ndarray::IxDyn(&[0]), Vec::new()).expect("an empty array")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_for_its_length_and_only_then() {
        let len = MIN_LEN + 7;
        let mut values = buffer(len);
        values[0] = 42.0;
        let address = values.as_ptr();
        assert!(give(values));
        assert_eq!(buffer(len + 1).len(), len + 1, "another length gets its own buffer");
        let again = buffer(len);
        assert_eq!(again.as_ptr(), address, "the kept buffer is handed out again");
        // Shared or small data is not taken.
        let shared: Data = ArcArray::from_shape_vec(ndarray::IxDyn(&[len]), again).unwrap();
        let other = shared.clone();
        recycle(shared);
        assert_eq!(other[[0]], 42.0);
        recycle(other);
        let last = buffer(len);
        assert_eq!(last.as_ptr(), address, "the last owner's buffer is kept");
        assert!(!give(vec![1.0; MIN_LEN - 1]), "a small buffer is not kept");
    }
}
