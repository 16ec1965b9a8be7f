//! One row of a column matrix read from, or added back into, a channel plane through a table
//! of offsets: im2col's and col2im's inner loops. Run by run, a strided copy of DCGAN's 7
//! values cost about 23 cycles (the runs' bookkeeping, two memset calls, the copy), and
//! im2col and col2im together were a fifth of W4; on CPUs with AVX-512 a row goes 16 offsets
//! at a time: one masked load or store where they are consecutive (stride 1), else one gather
//! (and for col2im one scatter).

/// What a round of 16 positions of a row (fewer in the last) reads, worked out once for a
/// table that every channel's rows share.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Round {
    /// The lanes that read the plane (a non-negative offset), bit `i` for lane `i`.
    pub inside: u16,
    /// `Some(start)` when those lanes read consecutive values, lane `i` at `start + i`
    /// (`start` may be negative when the first lanes are padding).
    pub run: Option<isize>,
    /// How many rounds from this one read one run with every lane: [`gather`] copies two or
    /// more at once ([`scatter_add`] still goes round by round: adding such runs without
    /// AVX-512 made no difference measurable on W7). Round by round, each 64-byte store of W7's 128-value runs straddled two
    /// cache lines (the rows start 16 bytes past one), and im2col ran slower than memcpy,
    /// which aligns its stores.
    pub chain: usize,
}

impl Round {
    /// The rounds of a row of offsets.
    pub fn of_row(offsets: &[i32]) -> Vec<Round> {
        let mut rounds: Vec<(Round, bool)> = offsets
            .chunks(16)
            .map(|lanes| {
                let (mut inside, mut first, mut one_run) = (0u16, None, true);
                for (i, &at) in lanes.iter().enumerate() {
                    if at >= 0 {
                        inside |= 1 << i;
                        let start = at as isize - i as isize;
                        one_run &= *first.get_or_insert(start) == start;
                    }
                }
                let run = one_run.then_some(first.unwrap_or(0));
                let whole = one_run && inside.count_ones() as usize == lanes.len();
                (Round { inside, run, chain: usize::from(whole) }, whole)
            })
            .collect();
        for i in (0..rounds.len().saturating_sub(1)).rev() {
            let ((round, whole), (next, next_whole)) = (rounds[i], rounds[i + 1]);
            if whole && next_whole && next.run == round.run.map(|start| start + 16) {
                rounds[i].0.chain = 1 + next.chain;
            }
        }
        rounds.into_iter().map(|(round, _)| round).collect()
    }
}

/// One row of a table: its offsets (`-1` for padding) and their [`Round::of_row`].
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    pub offsets: &'a [i32],
    pub rounds: &'a [Round],
}

/// `values[p] = plane[offsets[p]]`, or 0 where the offset is negative (padding).
///
/// # Safety
/// Every offset is below `plane.len()`, `row.rounds` are the offsets' rounds, and `values`
/// is as long as the offsets.
pub(crate) unsafe fn gather(plane: &[f32], row: Row<'_>, values: &mut [f32]) {
    debug_assert!(
        row.offsets.len() == values.len() && row.offsets.iter().all(|&at| (at as isize) < plane.len() as isize)
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the caller's guarantee bounds every access.
        return unsafe { wide::gather(plane, row, values) };
    }
    // SAFETY: the caller's guarantee.
    unsafe { gather_each(plane, row.offsets, values) }
}

/// [`gather`] one value at a time.
///
/// # Safety
/// As for [`gather`].
unsafe fn gather_each(plane: &[f32], offsets: &[i32], values: &mut [f32]) {
    for (value, &at) in values.iter_mut().zip(offsets) {
        // SAFETY: a non-negative offset is inside `plane` (the caller's guarantee).
        *value = if at >= 0 { unsafe { *plane.get_unchecked(at as usize) } } else { 0.0 };
    }
}

/// `plane[offsets[p]] += values[p]` where the offset is not negative.
///
/// # Safety
/// As for [`gather`], and no two non-negative offsets are equal.
pub(crate) unsafe fn scatter_add(values: &[f32], row: Row<'_>, plane: &mut [f32]) {
    debug_assert!(
        row.offsets.len() == values.len() && row.offsets.iter().all(|&at| (at as isize) < plane.len() as isize)
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the caller's guarantee bounds every access.
        return unsafe { wide::scatter_add(values, row, plane) };
    }
    // SAFETY: the caller's guarantee.
    unsafe { scatter_add_each(values, row.offsets, plane) }
}

/// [`scatter_add`] one value at a time.
///
/// # Safety
/// As for [`scatter_add`].
unsafe fn scatter_add_each(values: &[f32], offsets: &[i32], plane: &mut [f32]) {
    for (value, &at) in values.iter().zip(offsets) {
        if at >= 0 {
            // SAFETY: a non-negative offset is inside `plane` (the caller's guarantee).
            unsafe { *plane.get_unchecked_mut(at as usize) += value };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_mask_i32gather_ps, _mm512_mask_i32scatter_ps, _mm512_mask_storeu_ps,
        _mm512_maskz_loadu_epi32, _mm512_maskz_loadu_ps, _mm512_setzero_ps,
    };

    use super::Row;

    /// Each round's first position, lanes in the row, and what it reads.
    fn rounds<'a>(row: Row<'a>) -> impl Iterator<Item = (usize, u16, super::Round)> + 'a {
        let len = row.offsets.len();
        row.rounds.iter().enumerate().map(move |(i, round)| {
            let p = 16 * i;
            (p, if len - p >= 16 { u16::MAX } else { (1u16 << (len - p)) - 1 }, *round)
        })
    }

    /// # Safety
    /// As for [`super::gather`], and AVX-512F is available.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gather(plane: &[f32], row: Row<'_>, values: &mut [f32]) {
        let mut skip = 0;
        for (p, lanes, round) in rounds(row) {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if let (2.., Some(start)) = (round.chain, round.run) {
                let len = (16 * round.chain).min(values.len() - p);
                values[p..p + len].copy_from_slice(&plane[start as usize..start as usize + len]);
                skip = round.chain - 1;
                continue;
            }
            // SAFETY: the loads read only the lanes with an offset inside `plane` (in a run,
            // lane i's is `start + i`; the other lanes read nothing, so `start` may lie before
            // the plane); the store writes `values[p..]`'s lanes.
            unsafe {
                let loaded = match round.run {
                    Some(start) => _mm512_maskz_loadu_ps(round.inside, plane.as_ptr().wrapping_offset(start)),
                    None => {
                        let at = _mm512_maskz_loadu_epi32(lanes, row.offsets.as_ptr().add(p));
                        _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), round.inside, at, plane.as_ptr())
                    }
                };
                _mm512_mask_storeu_ps(values.as_mut_ptr().add(p), lanes, loaded);
            }
        }
    }

    /// # Safety
    /// As for [`super::scatter_add`], and AVX-512F is available.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn scatter_add(values: &[f32], row: Row<'_>, plane: &mut [f32]) {
        for (p, _, round) in rounds(row) {
            // SAFETY: the plane's loads and stores touch only the lanes with an offset inside
            // it (as in `gather`), all different, so no lane's sum overwrites another's.
            unsafe {
                let added = _mm512_maskz_loadu_ps(round.inside, values.as_ptr().add(p));
                match round.run {
                    Some(start) => {
                        let at = plane.as_mut_ptr().wrapping_offset(start);
                        let sum = _mm512_add_ps(_mm512_maskz_loadu_ps(round.inside, at), added);
                        _mm512_mask_storeu_ps(at, round.inside, sum);
                    }
                    None => {
                        let at = _mm512_maskz_loadu_epi32(round.inside, row.offsets.as_ptr().add(p));
                        let old = _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), round.inside, at, plane.as_ptr());
                        _mm512_mask_i32scatter_ps::<4>(plane.as_mut_ptr(), round.inside, at, _mm512_add_ps(old, added));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_of_runs_gaps_and_padding_agree_with_one_value_at_a_time() {
        let plane: Vec<f32> = (0..300).map(|i| i as f32 * 0.25 - 9.0).collect();
        // Distinct offsets: a run with padding before it (stride 1), every other value
        // (stride 2), an empty round, scattered values and short runs, then from position 80
        // a run of 50 (a chain of whole rounds and a short last one).
        let mut offsets: Vec<i32> = vec![-1];
        offsets.extend(100..130);
        offsets.extend([-1, -1]);
        offsets.extend((140..170).step_by(2));
        offsets.extend([-1; 16]);
        offsets.extend([5, 299, 31, -1, 77, 3, 298, 30, 32, 33, -1, 34, 35, 36, 37, 38]);
        offsets.extend(200..250);
        for len in [0, 1, 15, 16, 17, 96, 112, offsets.len()] {
            let offsets = &offsets[..len];
            let mut fast = vec![f32::NAN; len];
            let mut each = vec![f32::NAN; len];
            let rounds = Round::of_row(offsets);
            let row = Row { offsets, rounds: &rounds };
            // SAFETY: every offset is below 300 and the non-negative ones are distinct.
            unsafe {
                gather(&plane, row, &mut fast);
                gather_each(&plane, offsets, &mut each);
            }
            assert_eq!(fast, each, "gather of {len}");
            let added: Vec<f32> = (0..len).map(|i| i as f32 + 0.5).collect();
            let (mut fast_plane, mut each_plane) = (plane.clone(), plane.clone());
            // SAFETY: as above.
            unsafe {
                scatter_add(&added, row, &mut fast_plane);
                scatter_add_each(&added, offsets, &mut each_plane);
            }
            assert_eq!(fast_plane, each_plane, "scatter_add of {len}");
        }
    }
}
