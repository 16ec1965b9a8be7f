//! The machine's peak single-precision multiply-add rate, from a loop of independent FMAs
//! that touches no memory: the ceiling docs/performance.md measures W1 and W6 against.
//!
//! `cargo bench --bench fma_peak` prints, for each instruction set this CPU has (AVX2 with
//! FMA, AVX-512F) and for 1 thread and every core, the GFLOP/s (a multiply-add is 2 flops).
//! It is not a criterion bench: the figure is the point, not its change between runs.

use std::hint::black_box;
use std::time::Instant;

/// Independent accumulators: more than the FMA latency (4 cycles) times the FMA ports (2), so
/// the loop waits on neither.
const CHAINS: usize = 12;
/// Steps of the loop per timed call.
const STEPS: u64 = 20_000_000;

#[cfg(target_arch = "x86_64")]
mod loops {
    use std::arch::x86_64::*;

    use super::{CHAINS, STEPS};

    /// `STEPS × CHAINS` FMAs on 8 lanes; returns a value that depends on all of them.
    #[target_feature(enable = "avx2,fma")]
    pub fn avx2(x: f32) -> f32 {
        let (a, b) = (_mm256_set1_ps(x), _mm256_set1_ps(0.999_999));
        let mut acc = [_mm256_set1_ps(1.0); CHAINS];
        for _ in 0..STEPS {
            for chain in &mut acc {
                *chain = _mm256_fmadd_ps(*chain, b, a);
            }
        }
        let mut sum = [0.0f32; 8];
        let total = acc.iter().fold(_mm256_setzero_ps(), |s, v| _mm256_add_ps(s, *v));
        // SAFETY: `sum` holds 8 values.
        unsafe { _mm256_storeu_ps(sum.as_mut_ptr(), total) };
        sum.iter().sum()
    }

    /// As [`avx2`], on 16 lanes.
    #[target_feature(enable = "avx512f")]
    pub fn avx512(x: f32) -> f32 {
        let (a, b) = (_mm512_set1_ps(x), _mm512_set1_ps(0.999_999));
        let mut acc = [_mm512_set1_ps(1.0); CHAINS];
        for _ in 0..STEPS {
            for chain in &mut acc {
                *chain = _mm512_fmadd_ps(*chain, b, a);
            }
        }
        _mm512_reduce_add_ps(acc.iter().fold(_mm512_setzero_ps(), |s, v| _mm512_add_ps(s, *v)))
    }
}

/// One thread's FMA loop: takes a seed, returns a value that depends on every FMA.
type Loop = fn(f32) -> f32;

/// GFLOP/s of `run` (one call: `STEPS × CHAINS × lanes` FMAs) on `threads` threads at once.
fn gflops(threads: usize, lanes: usize, run: Loop) -> f64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || black_box(run(black_box(t as f32 * 1e-3))));
        }
    });
    let flops = 2.0 * (STEPS as f64) * (CHAINS * lanes * threads) as f64;
    flops / start.elapsed().as_secs_f64() / 1e9
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("FMA peak, single precision (GFLOP/s, best of 3)");
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY (both): called only where the CPU has the instruction set.
        let avx2: Loop = |x| unsafe { loops::avx2(x) };
        let avx512: Loop = |x| unsafe { loops::avx512(x) };
        let mut sets: Vec<(&str, usize, Loop)> = Vec::new();
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            sets.push(("avx2", 8, avx2));
        }
        if is_x86_feature_detected!("avx512f") {
            sets.push(("avx512", 16, avx512));
        }
        for (name, lanes, run) in sets {
            for threads in [1, cores] {
                let best = (0..3).map(|_| gflops(threads, lanes, run)).fold(0.0, f64::max);
                println!("{name:>7}  {threads} thread(s)  {best:7.1}");
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("no FMA loop for this architecture yet (x86-64 only)");
}
