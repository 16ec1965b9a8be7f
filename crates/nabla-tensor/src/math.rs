//! `exp` and `ln_1p` for f32 without branches or library calls, so that element-wise loops over
//! them vectorise (libm's `expf` and `log1pf` are scalar calls: in an autoencoder step, `log1pf`
//! alone was 14% of the time). Cephes' polynomials with Cody–Waite range reduction: `exp`
//! stays within 2 ulp of the correctly rounded result on its normal range, `ln_1p` within 2.5
//! (the tests measure both on millions of points),
//! and keep libm's answers for the special values (±∞, NaN, overflow, −1 for `ln_1p`).
//! `ln_1p_of_unit` is `ln_1p` for `[0, 1]` alone, a fitted polynomial within 2 ulp. `erf`
//! is a rational function (Eigen's), within 1e-6 of libm's `erff` (exact GELU's `Φ`).
//!
//! Also sums and dot products of f32 values in f64 with eight accumulators, which vectorise
//! where one running sum would wait on each addition.

// The coefficients are written as Cephes publishes them, so they can be checked against it.
#![allow(clippy::excessive_precision)]

/// Adding then subtracting 1.5 · 2^23 rounds an f32 of magnitude below 2^22 to an integer.
const ROUND: f32 = 12_582_912.0;
/// ln 2 in two parts: the first exact in few bits, so `n · LN2_HI` is exact.
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;

/// `Σ values` in f64, with eight independent accumulators so the loop vectorises (one
/// running sum waits four cycles per value: 6 ms of W6's full sum of 4 million values).
pub fn sum_f64(values: &[f32]) -> f64 {
    lanes(values, values, |x, _| f64::from(x))
}

/// `Σ a·b` in f64, eight accumulators as [`sum_f64`]; `b` at least as long as `a`.
pub fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    lanes(a, &b[..a.len()], |x, y| f64::from(x) * f64::from(y))
}

/// `Σ term(a[i], b[i])` with eight lanes, then the remainder.
#[inline(always)]
fn lanes(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f64) -> f64 {
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let rest: f64 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(&x, &y)| term(x, y)).sum();
    let mut sums = [0.0f64; 8];
    for (a8, b8) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            sums[lane] += term(a8[lane], b8[lane]);
        }
    }
    sums.iter().sum::<f64>() + rest
}

/// The scalar logistic function `1 / (1 + e^-x)`, without overflowing `exp` for large |x|
/// (the sigmoid activation, the recurrent kernels, binary cross-entropy). Branch-free, with
/// [`exp`], so loops over it vectorise.
#[inline(always)]
pub fn logistic(x: f32) -> f32 {
    let e = exp(-x.abs());
    let positive = 1.0 / (1.0 + e);
    if x >= 0.0 { positive } else { e * positive }
}

/// tanh as an odd rational function of degree 13/6 on [-7.905, 7.905] (clamped outside, where
/// tanh is 1 in f32), with Eigen's `generic_fast_tanh_float` coefficients: within 5e-7 of tanh
/// everywhere, absolute and relative (measured on 2·10⁶ points of [-12, 12]), and branch-free
/// so that loops over it vectorise (plain products: `mul_add` would call a software `fmaf` on
/// the baseline x86-64 target). libm's scalar `tanhf` was
/// 15% of an LSTM training step; the tanh activation and the recurrent kernels use this one.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const ALPHA: [f32; 7] =
        [4.893_524_6e-3, 6.372_619_3e-4, 1.485_722_4e-5, 5.122_297e-8, -8.604_672e-11, 2.000_188e-13, -2.760_768_5e-16];
    const BETA: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = ALPHA[6];
    for &a in ALPHA[..6].iter().rev() {
        p = p * x2 + a;
    }
    let mut q = BETA[3];
    for &b in BETA[..3].iter().rev() {
        q = q * x2 + b;
    }
    x * p / q
}

/// e^x. Overflows to +∞ above about 88.72, underflows to 0 below about −103.97 (results in the
/// subnormal range may be off by one subnormal step), and returns NaN for NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let clamped = x.clamp(-104.0, 89.0);
    let shifted = clamped * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = clamped - n * LN2_HI - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1)
        * r
        + 5.000_000_1e-1;
    let mantissa = p * (r * r) + r + 1.0;
    // 2^n in two factors, each a normal float for every n the clamp allows (−150..=128). The
    // integer n sits in the low bits of `shifted` (1.5 · 2^23 + n): read there, not with `as
    // i32`, whose saturating conversion does not vectorise (16 scalar conversions per AVX-512
    // vector were most of binary cross-entropy's time in W8). A NaN gives some n, and NaN.
    let n = shifted.to_bits() as i32 - ROUND.to_bits() as i32;
    let half = n >> 1;
    let power = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
    mantissa * power(half) * power(n - half)
}

/// ln(u) for a positive normal `u` (the caller deals with 0, negatives, ∞ and NaN).
#[inline(always)]
fn ln_positive(u: f32) -> f32 {
    let bits = u.to_bits();
    // u = m · 2^e with m in [0.5, 1), then m moved to [√½, √2) around 1.
    let e = ((bits >> 23) & 0xff) as i32 - 126;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let below = m < std::f32::consts::FRAC_1_SQRT_2;
    let f = if below { m + m - 1.0 } else { m - 1.0 };
    let e = (e - i32::from(below)) as f32;
    let z = f * f;
    let p = ((((((((7.037_683_6e-2 * f - 1.151_461e-1) * f + 1.167_699_9e-1) * f - 1.242_014_1e-1) * f
        + 1.424_932_3e-1)
        * f
        - 1.666_805_8e-1)
        * f
        + 2.000_071_5e-1)
        * f
        - 2.499_999_4e-1)
        * f
        + 3.333_333_1e-1)
        * f
        * z;
    f + (p + LN2_LO * e - 0.5 * z) + LN2_HI * e
}

/// erf(x) as an odd rational function of x on [−3.92, 3.92] (±1 beyond, as in f32), Eigen's
/// `generic_fast_erf_float`: within 1e-6 absolute (and 2e-6 relative near 0) of libm's
/// `erff`, as the tests measure; NaN for NaN. Branch-free, so loops over it vectorise.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = ((((((-2.726_142_3e-10 * x2 + 2.770_681_4e-8) * x2 - 2.101_024e-6) * x2 - 5.692_506_4e-5) * x2
        - 7.349_906_3e-4)
        * x2
        - 2.954_600_2e-3)
        * x2
        - 1.609_603_3e-2)
        * x;
    let q = (((-1.456_607_2e-5 * x2 - 2.133_740_6e-4) * x2 - 1.682_827e-3) * x2 - 7.373_329_2e-3) * x2 - 1.426_474e-2;
    // From |x| ≈ 3.92 on, erf rounds to ±1 in f32; the rational function stays a few ulp
    // short, which 1 + erf(x) (GELU's Φ) would turn into a spurious tail.
    if x.abs() >= 3.92 { 1f32.copysign(x) } else { p / q }
}

/// ln(1 + x), accurate for small `x` too: −∞ at −1, NaN below it and for NaN, +∞ for +∞.
#[inline(always)]
pub fn ln_1p(x: f32) -> f32 {
    let u = 1.0 + x;
    let rounded = u - 1.0;
    // ln(u) scaled by x / (u − 1) undoes the rounding of 1 + x (Goldberg's trick).
    let value = ln_positive(u) * (x / rounded);
    let special = if u == 0.0 {
        f32::NEG_INFINITY
    } else if u > 0.0 {
        u
    } else {
        f32::NAN
    };
    if rounded == 0.0 {
        x
    } else if u > 0.0 && u < f32::INFINITY {
        value
    } else {
        special
    }
}

/// `ln(1 + e)` for `e` in `[0, 1]`: `e · P(e)`, with `P` of degree 9 fitted (Chebyshev) to
/// `ln(1 + e) / e`, within 2 ulp. The general `ln_1p` splits off the exponent, divides and
/// checks for ∞ and NaN, which an `e` from `exp(-|x|)` (softplus, binary cross-entropy on
/// logits) never needs: with it the losses of W8's 100,352 values took 341 µs, with this 205.5
/// (one thread, AVX2 on a Zen 3).
#[inline(always)]
pub fn ln_1p_of_unit(e: f32) -> f32 {
    let p = ((((((((-0.003_214_036_3 * e + 0.019_649_167) * e - 0.056_435_03) * e + 0.105_332_285) * e
        - 0.152_514_52)
        * e
        + 0.196_514_92)
        * e
        - 0.249_478_09)
        * e
        + 0.333_291)
        * e
        - 0.499_998_5)
        * e
        + 1.0;
    e * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_in_lanes_agree_with_one_running_sum_at_every_remainder() {
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 1000, 1003] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() * 1e3).collect();
            let b: Vec<f32> = (0..len + 2).map(|i| (i as f32 * 0.11).cos()).collect();
            let sum: f64 = a.iter().map(|&x| f64::from(x)).sum();
            let dot: f64 = a.iter().zip(&b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
            assert!((sum_f64(&a) - sum).abs() <= 1e-9 * (1.0 + sum.abs()), "{len}: {} vs {sum}", sum_f64(&a));
            assert!((dot_f64(&a, &b) - dot).abs() <= 1e-9 * (1.0 + dot.abs()), "{len}: {} vs {dot}", dot_f64(&a, &b));
        }
    }

    /// Distance in units in the last place of the correctly rounded (f64) value.
    fn ulps(got: f32, exact: f64) -> f64 {
        let rounded = exact as f32;
        let ulp = f64::from(f32::from_bits(rounded.abs().to_bits() + 1) - rounded.abs());
        (f64::from(got) - exact).abs() / ulp
    }

    #[test]
    fn exp_is_within_2_ulp_on_its_normal_range_and_keeps_the_special_values() {
        let mut worst = 0.0f64;
        for i in 0..=2_000_000 {
            let x = -87.3 + 176.0 * i as f32 / 2_000_000.0;
            worst = worst.max(ulps(exp(x), f64::from(x).exp()));
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(-110.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert!(exp(f32::NAN).is_nan());
        let tiny = exp(-100.0);
        assert!((f64::from(tiny) - (-100.0f64).exp()).abs() <= f64::from(f32::from_bits(1)), "{tiny}");
    }

    #[test]
    fn ln_1p_is_within_2_5_ulp_from_tiny_to_large_and_keeps_the_special_values() {
        let mut worst = 0.0f64;
        let mut check = |x: f32| worst = worst.max(ulps(ln_1p(x), f64::from(x).ln_1p()));
        for i in 0..=1_000_000 {
            check(-0.999_99 + 2.0 * i as f32 / 1_000_000.0);
            check(10f32.powf(-30.0 + 60.0 * i as f32 / 1_000_000.0));
            check(-(10f32.powf(-30.0 + 29.9 * i as f32 / 1_000_000.0)));
        }
        assert!(worst <= 2.5, "worst {worst} ulp");
        assert_eq!(ln_1p(0.0), 0.0);
        assert_eq!(ln_1p(-1.0), f32::NEG_INFINITY);
        assert!(ln_1p(-1.5).is_nan());
        assert!(ln_1p(f32::NAN).is_nan());
        assert_eq!(ln_1p(f32::INFINITY), f32::INFINITY);
        assert_eq!(ln_1p(f32::MAX), f32::MAX.ln_1p());
    }

    #[test]
    fn ln_1p_of_unit_is_within_2_ulp_over_zero_to_one() {
        let mut worst = 0.0f64;
        let steps = 1 << 20;
        let tiny = [f32::from_bits(1), f32::MIN_POSITIVE, 1e-30, 1e-8, 5.9e-8];
        for e in (0..=steps).map(|i| i as f32 / steps as f32).chain(tiny) {
            worst = worst.max(ulps(ln_1p_of_unit(e), f64::from(e).ln_1p()));
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(ln_1p_of_unit(0.0), 0.0);
    }
}

#[cfg(test)]
mod activation_tests {
    use super::{logistic, tanh};

    #[test]
    fn tanh_and_logistic_stay_within_5e_7_of_libm() {
        let (mut worst_tanh, mut worst_logistic) = (0.0f64, 0.0f64);
        for i in -240_000..=240_000 {
            let x = i as f32 * 5e-5; // [-12, 12]
            let exact = (x as f64).tanh();
            worst_tanh = worst_tanh.max((tanh(x) as f64 - exact).abs() / exact.abs().max(1e-3));
            let exact = 1.0 / (1.0 + (-(x as f64)).exp());
            worst_logistic = worst_logistic.max((logistic(x) as f64 - exact).abs() / exact);
        }
        assert!(worst_tanh < 5e-7, "tanh: {worst_tanh:e}");
        assert!(worst_logistic < 5e-7, "logistic: {worst_logistic:e}");
        assert_eq!((tanh(1e4), tanh(-1e4), tanh(0.0)), (1.0, -1.0, 0.0));
        assert!(tanh(f32::NAN).is_nan() && logistic(f32::NAN).is_nan(), "NaN passes through");
        assert_eq!((logistic(200.0), logistic(-200.0)), (1.0, 0.0));
    }
}
