//! The inner loops of im2col and col2im: the rows of a column matrix read from, or added back
//! into, the channel planes of an image, one [`Round`] of up to 16 positions at a time. Run by
//! run with a strided iterator, DCGAN's stride-2 runs of 7 values cost about 23 cycles each and
//! im2col and col2im were a fifth of W4. With AVX-512 a round is one masked load (stride 1),
//! two masked loads and a permute (stride 2), or a gather (larger strides); col2im adds back the
//! same way. With AVX2 a round is two halves of 8 lanes, the masks are vectors, and larger
//! strides are gathered, and added back one lane at a time (AVX2 has no scatter; a horizontal
//! stride of 2 has its own path there, `super::stride2`). An AVX2 half whose 8-value window lies
//! inside the slice is loaded, or read and written back, whole: AMD's cores run `vmaskmovps` as
//! many micro-ops, and on a Zen 1 the masked versions were 29% of W4.

#[cfg(target_arch = "x86_64")]
use nabla_tensor::isa::{Isa, level};

/// Up to 16 consecutive positions of a column-matrix row: lane `i` reads the plane at
/// `start + step · i`, or is 0 where its bit of `inside` is clear (padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Round {
    /// The first position, within the column-matrix row.
    pub at: usize,
    /// Lanes in the round, 1 to 16.
    pub lanes: usize,
    /// The lanes that read the plane, bit `i` for lane `i`.
    pub inside: u16,
    /// Where lane 0 reads (it may lie outside the plane when lane 0 is padding).
    pub start: isize,
    /// The image columns between lanes (the convolution's horizontal stride).
    pub step: usize,
    /// For stride 2: the plane values the inside lanes read, as bit masks over the 32 values
    /// from `start` (the first 16, the next 16).
    pub spread: (u16, u16),
    /// How many rounds from this one read one run of consecutive values with every lane (set
    /// on the first of two or more): they are copied at once. Round by round, each 64-byte
    /// store of W7's 128-value runs straddled two cache lines, where memcpy aligns its stores.
    pub chain: usize,
}

impl Round {
    /// A round of `lanes` positions from `at` that reads `start + step · i` in the lanes of
    /// `inside`.
    pub fn new(at: usize, lanes: usize, inside: u16, start: isize, step: usize) -> Round {
        let mut round = Round { at, lanes, inside, start, step, spread: (0, 0), chain: 0 };
        if step == 2 {
            let unspread = round;
            for (position, _) in unspread.reads().filter(|(_, read)| read.is_some()) {
                match 2 * (position - at) {
                    value @ 0..16 => round.spread.0 |= 1 << value,
                    value => round.spread.1 |= 1 << (value - 16),
                }
            }
        }
        round
    }

    /// Each position of the round with the plane value it reads (`None`: padding), one at a
    /// time: the definition the vector code follows.
    pub fn reads(&self) -> impl Iterator<Item = (usize, Option<usize>)> + '_ {
        (0..self.lanes).map(move |lane| {
            let inside = self.inside & (1 << lane) != 0;
            (self.at + lane, inside.then(|| (self.start + (self.step * lane) as isize) as usize))
        })
    }

    /// The rounds of a column-matrix row whose positions read `reads` (`None`: padding), all
    /// `step` apart: each round takes up to 16 positions in order, as long as they read at
    /// `start + step · lane`, so a run goes on across output rows where the image's rows
    /// continue it (stride 1 over a whole row). Split at every output row instead, a round's
    /// adds into the image overlapped the last round's stores, which cannot forward from a
    /// masked store: col2im of 14×14 maps ran 3 times slower.
    pub fn cover(reads: impl Iterator<Item = Option<isize>>, step: usize) -> Vec<Round> {
        let mut rounds: Vec<Round> = Vec::new();
        let mut open: Option<(usize, usize, u16, Option<isize>)> = None; // at, lanes, inside, start
        let close = |rounds: &mut Vec<Round>, (at, lanes, inside, start): (usize, usize, u16, Option<isize>)| {
            rounds.push(Round::new(at, lanes, inside, start.unwrap_or(0), step));
        };
        for (position, read) in reads.enumerate() {
            if let Some((at, lanes, inside, start)) = open {
                let fits = match (read, start) {
                    (Some(read), Some(start)) => read == start + (step * lanes) as isize,
                    _ => true,
                };
                if lanes < 16 && fits {
                    let start = start.or(read.map(|read| read - (step * lanes) as isize));
                    open = Some((at, lanes + 1, inside | (u16::from(read.is_some()) << lanes), start));
                    continue;
                }
                close(&mut rounds, (at, lanes, inside, start));
            }
            open = Some((position, 1, u16::from(read.is_some()), read));
        }
        if let Some(last) = open {
            close(&mut rounds, last);
        }
        Round::link(&mut rounds);
        rounds
    }

    fn whole(&self) -> bool {
        self.inside.count_ones() as usize == self.lanes
    }

    /// Marks the chains of whole stride-1 rounds that continue one another in one table row.
    fn link(rounds: &mut [Round]) {
        let mut length = 0;
        for i in (0..rounds.len()).rev() {
            let round = rounds[i];
            let continued = rounds.get(i + 1).is_some_and(|next| {
                round.lanes == 16
                    && next.whole()
                    && next.step == 1
                    && next.at == round.at + 16
                    && next.start == round.start + 16
            });
            length = if round.step == 1 && round.whole() { if continued { length + 1 } else { 1 } } else { 0 };
            rounds[i].chain = if length >= 2 { length } else { 0 };
        }
    }
}

/// `row[p] = plane[…]` for every position of each round. The rounds cover consecutive
/// positions in order (as [`Round::cover`] makes them): the AVX2 version may write a short
/// round's vector whole, over positions of the rounds after it, which then write their own.
///
/// # Safety
/// Every inside lane of every round reads inside `plane`, and `row` holds every round's
/// positions.
pub(crate) unsafe fn gather(plane: &[f32], rounds: &[Round], row: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: the CPU has AVX-512F; the caller's guarantee bounds every access.
        Isa::Avx512 => return unsafe { avx512::gather(plane, rounds, row) },
        // SAFETY: the CPU has AVX2; the caller's guarantee bounds every access.
        Isa::Avx2 => return unsafe { avx2::gather(plane, rounds, row) },
        Isa::Scalar => {}
    }
    // SAFETY: the caller's guarantee.
    unsafe { gather_each(plane, rounds, row) }
}

/// [`gather`] one value at a time (the portable path).
///
/// # Safety
/// As for [`gather`].
unsafe fn gather_each(plane: &[f32], rounds: &[Round], row: &mut [f32]) {
    for (position, read) in rounds.iter().flat_map(Round::reads) {
        // SAFETY: an inside lane reads inside `plane` (the caller's guarantee).
        row[position] = read.map_or(0.0, |at| unsafe { *plane.get_unchecked(at) });
    }
}

/// Copies the run that the chain starting at `rounds[0]` reads (its `chain` rounds of whole
/// stride-1 lanes) into `row` at once, and returns how many rounds it covered.
#[cfg(target_arch = "x86_64")]
fn copy_chain(plane: &[f32], rounds: &[Round], row: &mut [f32]) -> usize {
    let (first, last) = (&rounds[0], &rounds[rounds[0].chain - 1]);
    let (len, start) = (last.at + last.lanes - first.at, first.start as usize);
    row[first.at..first.at + len].copy_from_slice(&plane[start..start + len]);
    first.chain
}

/// `plane[…] += row[p]` for every inside lane of each round.
///
/// # Safety
/// As for [`gather`], and no two inside lanes of the rounds read the same value.
pub(crate) unsafe fn scatter_add(row: &[f32], rounds: &[Round], plane: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: the CPU has AVX-512F; the caller's guarantee bounds every access.
        Isa::Avx512 => return unsafe { avx512::scatter_add(row, rounds, plane) },
        // SAFETY: the CPU has AVX2; the caller's guarantee bounds every access.
        Isa::Avx2 => return unsafe { avx2::scatter_add(row, rounds, plane) },
        Isa::Scalar => {}
    }
    // SAFETY: the caller's guarantee.
    unsafe { scatter_add_each(row, rounds, plane) }
}

/// [`scatter_add`] one value at a time (the portable path).
///
/// # Safety
/// As for [`scatter_add`].
unsafe fn scatter_add_each(row: &[f32], rounds: &[Round], plane: &mut [f32]) {
    for (position, read) in rounds.iter().flat_map(Round::reads) {
        if let Some(at) = read {
            // SAFETY: an inside lane reads inside `plane` (the caller's guarantee).
            unsafe { *plane.get_unchecked_mut(at) += row[position] };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi32, _mm512_add_ps, _mm512_mask_i32gather_ps, _mm512_mask_i32scatter_ps,
        _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_mullo_epi32, _mm512_permutex2var_ps,
        _mm512_permutexvar_ps, _mm512_set1_epi32, _mm512_setr_epi32, _mm512_setzero_ps,
    };

    use super::Round;

    /// The first `n` lanes.
    fn lanes(n: usize) -> u16 {
        if n >= 16 { u16::MAX } else { (1u16 << n) - 1 }
    }

    /// The offsets a round's lanes read (for a gather).
    ///
    /// # Safety
    /// AVX-512F is available.
    #[target_feature(enable = "avx512f")]
    unsafe fn offsets(round: &Round) -> __m512i {
        let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let step = _mm512_mullo_epi32(lane, _mm512_set1_epi32(round.step as i32));
        _mm512_add_epi32(_mm512_set1_epi32(round.start as i32), step)
    }

    /// # Safety
    /// As for [`super::gather`], and AVX-512F is available.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gather(plane: &[f32], rounds: &[Round], row: &mut [f32]) {
        let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let mut i = 0;
        while let Some(round) = rounds.get(i) {
            if round.chain >= 2 {
                i += super::copy_chain(plane, &rounds[i..], row);
                continue;
            }
            let at = plane.as_ptr().wrapping_offset(round.start);
            // SAFETY: the loads read only the plane values of inside lanes (masked-off lanes
            // touch nothing, so `at` may lie outside the plane); the store writes the round's
            // positions of `row`, which the slice bounds.
            unsafe {
                let values = match round.step {
                    1 => _mm512_maskz_loadu_ps(round.inside, at),
                    2 => {
                        let low = _mm512_maskz_loadu_ps(round.spread.0, at);
                        let high = _mm512_maskz_loadu_ps(round.spread.1, at.wrapping_add(16));
                        _mm512_permutex2var_ps(low, evens, high)
                    }
                    _ => {
                        _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), round.inside, offsets(round), plane.as_ptr())
                    }
                };
                let out = &mut row[round.at..round.at + round.lanes];
                _mm512_mask_storeu_ps(out.as_mut_ptr(), lanes(round.lanes), values);
            }
            i += 1;
        }
    }

    /// # Safety
    /// As for [`super::scatter_add`], and AVX-512F is available.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn scatter_add(row: &[f32], rounds: &[Round], plane: &mut [f32]) {
        // Value i to plane values 2i (the first eight, then the second).
        let first = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
        let second = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
        for round in rounds {
            let values = &row[round.at..round.at + round.lanes];
            let at = plane.as_mut_ptr().wrapping_offset(round.start);
            // SAFETY: the plane's loads and stores touch only the values of inside lanes (as
            // in `gather`), all different, so no lane's sum overwrites another's.
            unsafe {
                let added = _mm512_maskz_loadu_ps(round.inside, values.as_ptr());
                match round.step {
                    1 => {
                        let sum = _mm512_add_ps(_mm512_maskz_loadu_ps(round.inside, at), added);
                        _mm512_mask_storeu_ps(at, round.inside, sum);
                    }
                    2 => {
                        let (low_at, high_at) = (at, at.wrapping_add(16));
                        let low = _mm512_add_ps(
                            _mm512_maskz_loadu_ps(round.spread.0, low_at),
                            _mm512_permutexvar_ps(first, added),
                        );
                        let high = _mm512_add_ps(
                            _mm512_maskz_loadu_ps(round.spread.1, high_at),
                            _mm512_permutexvar_ps(second, added),
                        );
                        _mm512_mask_storeu_ps(low_at, round.spread.0, low);
                        _mm512_mask_storeu_ps(high_at, round.spread.1, high);
                    }
                    _ => {
                        let offsets = offsets(round);
                        let old =
                            _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), round.inside, offsets, plane.as_ptr());
                        let sum = _mm512_add_ps(old, added);
                        _mm512_mask_i32scatter_ps::<4>(plane.as_mut_ptr(), round.inside, offsets, sum);
                    }
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use std::arch::x86_64::{
        __m128i, __m256, __m256i, _mm_castps_si128, _mm_movehl_ps, _mm_store_ss, _mm_storel_epi64, _mm_storeu_ps,
        _mm256_add_epi32, _mm256_add_ps, _mm256_and_ps, _mm256_and_si256, _mm256_blendv_ps, _mm256_castps256_ps128,
        _mm256_castsi256_ps, _mm256_cmpeq_epi32, _mm256_extractf128_ps, _mm256_loadu_ps, _mm256_mask_i32gather_ps,
        _mm256_maskload_ps, _mm256_maskstore_ps, _mm256_mullo_epi32, _mm256_set1_epi32, _mm256_set1_ps,
        _mm256_setr_epi32, _mm256_setzero_ps, _mm256_storeu_ps,
    };

    use super::Round;

    /// A lane mask from 8 bits: lane `i` all ones where bit `i` is set.
    ///
    /// # Safety
    /// AVX2 is available.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn mask(bits: u16) -> __m256i {
        let lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
        _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(i32::from(bits & 0xFF)), lane_bits), lane_bits)
    }

    /// Whether the 8 values from `offset` lie inside a slice of `len` values.
    fn window_inside(offset: isize, len: usize) -> bool {
        offset >= 0 && offset as usize + 8 <= len
    }

    /// The 8 values at `offset` in the slice of `len` values at `base`, for the lanes in
    /// `bits` (0 elsewhere). Where the whole window lies inside the slice the load is plain and
    /// the other lanes are zeroed after it; only a window that crosses the slice's ends loads
    /// through a mask (`vmaskmovps`, several times slower on AMD's Zen 1).
    ///
    /// # Safety
    /// AVX2 is available; the values of the lanes in `bits` lie inside the slice.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load(bits: u16, base: *const f32, len: usize, offset: isize) -> __m256 {
        let at = base.wrapping_offset(offset);
        // SAFETY: a plain load reads a window inside the slice (every lane inside it when all
        // 8 are in `bits`); masked-off lanes of a masked load are not accessed.
        unsafe {
            if bits & 0xFF == 0xFF {
                _mm256_loadu_ps(at)
            } else if window_inside(offset, len) {
                _mm256_and_ps(_mm256_loadu_ps(at), _mm256_castsi256_ps(mask(bits)))
            } else {
                _mm256_maskload_ps(at, mask(bits))
            }
        }
    }

    /// Adds `values` to the lanes in `bits` of the 8 values at `offset` in the slice of `len`
    /// values at `base`, leaving the other lanes' bits as they were. A window inside the slice
    /// is read and written back whole: `vmaskmovps` stores are many micro-ops on AMD's cores
    /// (on the Zen 1 they were most of col2im's time).
    ///
    /// # Safety
    /// AVX2 is available; the values of the lanes in `bits` lie inside the slice, which no
    /// other thread touches.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn add_into(bits: u16, base: *mut f32, len: usize, offset: isize, values: __m256) {
        let at = base.wrapping_offset(offset);
        // SAFETY: as in `load`; a whole window writes back the lanes outside `bits` unchanged.
        unsafe {
            if bits & 0xFF == 0xFF {
                _mm256_storeu_ps(at, _mm256_add_ps(_mm256_loadu_ps(at), values));
            } else if window_inside(offset, len) {
                // The other lanes add -0.0, which leaves every value as it was. (Blending the
                // old values with the sums is compiled back into a `vmaskmovps` store.)
                let added = _mm256_blendv_ps(_mm256_set1_ps(-0.0), values, _mm256_castsi256_ps(mask(bits)));
                _mm256_storeu_ps(at, _mm256_add_ps(_mm256_loadu_ps(at), added));
            } else {
                let mask = mask(bits);
                _mm256_maskstore_ps(at, mask, _mm256_add_ps(_mm256_maskload_ps(at, mask), values));
            }
        }
    }

    /// Stores the first `n` (below 8) lanes of `values` at `at`, 4, 2 and 1 at a time: a
    /// `vmaskmovps` store is microcoded on AMD's cores; the one that ended each row of W4's 7×7
    /// maps was 2.4 ns of a 10.3 ns round of im2col on a Zen 3.
    ///
    /// # Safety
    /// AVX2 is available, and `at` has room for `n` values.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn store_first(at: *mut f32, values: __m256, n: usize) {
        let (mut at, mut n, mut part) = (at, n, _mm256_castps256_ps128(values));
        // SAFETY: each store writes values below `at + n` (the caller's guarantee).
        unsafe {
            if n >= 4 {
                _mm_storeu_ps(at, part);
                (at, n, part) = (at.add(4), n - 4, _mm256_extractf128_ps::<1>(values));
            }
            if n >= 2 {
                _mm_storel_epi64(at.cast::<__m128i>(), _mm_castps_si128(part));
                (at, n, part) = (at.add(2), n - 2, _mm_movehl_ps(part, part));
            }
            if n == 1 {
                _mm_store_ss(at, part);
            }
        }
    }

    /// The offsets the lanes of half `half` of a round read (for a gather).
    ///
    /// # Safety
    /// AVX2 is available.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn offsets(round: &Round, half: usize) -> __m256i {
        let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let lane = _mm256_add_epi32(lane, _mm256_set1_epi32(8 * half as i32));
        let step = _mm256_mullo_epi32(lane, _mm256_set1_epi32(round.step as i32));
        _mm256_add_epi32(_mm256_set1_epi32(round.start as i32), step)
    }

    /// # Safety
    /// As for [`super::gather`], and AVX2 is available.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gather(plane: &[f32], rounds: &[Round], row: &mut [f32]) {
        // The rounds cover the row's positions in order up to `covered`, so a half round may
        // store all 8 lanes below it: the rounds after it write the extra lanes again.
        let covered = rounds.last().map_or(0, |last| last.at + last.lanes).min(row.len());
        let (base, len) = (plane.as_ptr(), plane.len());
        let mut i = 0;
        while let Some(round) = rounds.get(i) {
            if round.chain >= 2 {
                i += super::copy_chain(plane, &rounds[i..], row);
                continue;
            }
            for half in 0..round.lanes.div_ceil(8) {
                let inside = round.inside >> (8 * half);
                // SAFETY: the loads read only the plane values of inside lanes, or windows
                // inside the plane (see `load`); the store writes the round's positions of
                // `row`, and at most up to `covered`.
                unsafe {
                    let values = match round.step {
                        1 => load(inside, base, len, round.start + 8 * half as isize),
                        _ => _mm256_mask_i32gather_ps::<4>(
                            _mm256_setzero_ps(),
                            base,
                            offsets(round, half),
                            _mm256_castsi256_ps(mask(inside)),
                        ),
                    };
                    let (at, lanes_left) = (round.at + 8 * half, round.lanes - 8 * half);
                    let out = row.as_mut_ptr().add(at);
                    if lanes_left >= 8 || at + 8 <= covered {
                        _mm256_storeu_ps(out, values);
                    } else {
                        store_first(out, values, lanes_left);
                    }
                }
            }
            i += 1;
        }
    }

    /// # Safety
    /// As for [`super::scatter_add`], and AVX2 is available.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn scatter_add(row: &[f32], rounds: &[Round], plane: &mut [f32]) {
        let (base, len) = (plane.as_mut_ptr(), plane.len());
        for round in rounds {
            if round.step != 1 {
                for (position, read) in round.reads() {
                    if let Some(at) = read {
                        // SAFETY: an inside lane reads inside `plane` (the caller's guarantee).
                        unsafe { *base.add(at) += row[position] };
                    }
                }
                continue;
            }
            for half in 0..round.lanes.div_ceil(8) {
                let inside = round.inside >> (8 * half);
                // SAFETY: the loads of `row` read the round's positions or a window inside
                // `row`; the plane's read-modify-writes change only the values of inside lanes
                // (see `add_into`), all different, so no lane's sum overwrites another's.
                unsafe {
                    let added = load(inside, row.as_ptr(), row.len(), (round.at + 8 * half) as isize);
                    add_into(inside, base, len, round.start + 8 * half as isize, added);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value at a time, as the rounds define it.
    fn expected(plane: &[f32], rounds: &[Round], len: usize) -> Vec<f32> {
        let mut row = vec![f32::NAN; len];
        for (position, read) in rounds.iter().flat_map(Round::reads) {
            row[position] = read.map_or(0.0, |at| plane[at]);
        }
        row
    }

    #[test]
    fn rounds_of_every_stride_agree_with_one_value_at_a_time() {
        let mut plane: Vec<f32> = (0..400).map(|i| i as f32 * 0.25 - 9.0).collect();
        // -0.0 where no inside lane reads, inside the windows of the stride-2 round at 16: adding
        // to the values around them must leave them -0.0.
        (plane[15], plane[16]) = (-0.0, -0.0);
        // Distinct plane values throughout (as col2im needs): stride 1 with padding either side,
        // stride 2 short and whole, stride 3, an all-padding round, a chain of three whole
        // rounds and a short one after it, a stride-3 round past 8 lanes, a stride-1 round
        // with padding in its second 8 lanes, and a stride-2 and a stride-1 round whose last
        // 8-value windows cross the plane's end.
        let all = [
            Round::new(0, 16, !1, -1, 1),
            Round::new(16, 7, 0b011_1110, 15, 2),
            Round::new(23, 16, u16::MAX, 40, 2),
            Round::new(39, 5, 0b1_1111, 80, 3),
            Round::new(44, 9, 0, 0, 1),
            Round::new(53, 12, 0b0111_1111_1110, 99, 1),
            Round::new(65, 16, u16::MAX, 200, 1),
            Round::new(81, 16, u16::MAX, 216, 1),
            Round::new(97, 16, u16::MAX, 232, 1),
            Round::new(113, 9, 0b1_1111_1111, 248, 1),
            Round::new(122, 12, 0b1111_0111_1110, 300, 3),
            Round::new(134, 16, 0x7EFF, 340, 1),
            Round::new(150, 7, 0b111_1111, 386, 2),
            Round::new(157, 5, 0b1_1111, 395, 1),
        ];
        let len = 162;
        for count in [1, 2, 3, 5, 7, 8, all.len()] {
            let mut rounds = all[..count].to_vec();
            Round::link(&mut rounds);
            if count == all.len() {
                assert_eq!(
                    rounds.iter().map(|r| r.chain).collect::<Vec<_>>(),
                    [0, 0, 0, 0, 0, 0, 4, 3, 2, 0, 0, 0, 0, 0]
                );
            }
            let rounds = &rounds[..];
            let want = expected(&plane, rounds, len);
            let added: Vec<f32> = (0..len).map(|i| i as f32 + 0.5).collect();
            let mut want_sums = plane.clone();
            for (position, read) in rounds.iter().flat_map(Round::reads) {
                if let Some(at) = read {
                    want_sums[at] += added[position];
                }
            }
            type Kernel = unsafe fn(&[f32], &[Round], &mut [f32]);
            let mut kernels: Vec<(&str, Kernel, Kernel)> =
                vec![("as dispatched", gather, scatter_add), ("one value at a time", gather_each, scatter_add_each)];
            #[cfg(target_arch = "x86_64")]
            {
                let detected = nabla_tensor::isa::detected();
                if detected >= Isa::Avx2 {
                    kernels.push(("avx2", avx2::gather, avx2::scatter_add));
                }
                if detected >= Isa::Avx512 {
                    kernels.push(("avx512", avx512::gather, avx512::scatter_add));
                }
            }
            for (name, gather, scatter_add) in kernels {
                let (mut row, mut sums) = (vec![f32::NAN; len], plane.clone());
                // SAFETY: every inside lane reads below 400, no two the same value.
                unsafe {
                    gather(&plane, rounds, &mut row);
                    scatter_add(&added, rounds, &mut sums);
                }
                let bits = |values: &[f32]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&row), bits(&want), "gather {name}, {count} rounds");
                assert_eq!(bits(&sums), bits(&want_sums), "scatter_add {name}, {count} rounds");
            }
        }
    }
}
