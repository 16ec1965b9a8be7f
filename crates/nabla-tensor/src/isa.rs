//! The instruction sets nabla's own kernels are compiled for, which one this CPU runs, and the
//! cap a user sets with `NABLA_ISA`.
//!
//! The project builds for baseline x86-64 (SSE2). Kernels that pay for wider vectors carry a
//! version per level, [`Isa::Avx2`] (AVX2 with FMA: Intel since Haswell, AMD since Zen) and
//! [`Isa::Avx512`] (AVX-512F: Intel Xeons since Skylake-SP, AMD since Zen 4), and pick one at run
//! time by [`level`]. Other architectures (ARM) run the portable code.
//!
//! `NABLA_ISA=scalar|avx2|avx512` caps the level, read once at the first kernel call: to
//! benchmark the AVX2 path on an AVX-512 machine, or to test every path on one machine. A cap
//! above what the CPU has leaves the CPU's level. The `gemm` crate, which nabla calls for
//! products too small for its own kernel, detects the CPU by itself: `scalar` does not reach it.

use std::sync::OnceLock;

/// An instruction-set level, from the portable code up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// The portable code, compiled for the build's baseline (SSE2 on x86-64).
    Scalar,
    /// AVX2 with FMA: 8 lanes, 16 vector registers.
    Avx2,
    /// AVX-512F: 16 lanes, 32 vector registers, masked loads and stores.
    Avx512,
}

impl Isa {
    /// Every level, lowest first.
    pub const ALL: [Isa; 3] = [Isa::Scalar, Isa::Avx2, Isa::Avx512];

    /// The name `NABLA_ISA` takes: `scalar`, `avx2` or `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The level a name stands for (as [`Isa::name`] writes it, any case).
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| isa.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The highest level this CPU runs (the standard library caches the checks).
pub fn detected() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Scalar
}

/// The level nabla's kernels run at: [`detected`], capped by `NABLA_ISA`. Read once; an
/// unknown value is reported on standard error once and ignored.
pub fn level() -> Isa {
    static LEVEL: OnceLock<Isa> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = match std::env::var("NABLA_ISA") {
            Ok(name) => Isa::from_name(&name).or_else(|| {
                eprintln!("warning: NABLA_ISA={name:?} is not one of scalar, avx2, avx512; it is ignored");
                None
            }),
            Err(_) => None,
        };
        cap.map_or(detected(), |cap| cap.min(detected()))
    })
}

/// Whether kernels run at `isa` or above: `isa::runs(Isa::Avx2)` before calling an AVX2
/// version.
#[inline]
pub fn runs(isa: Isa) -> bool {
    level() >= isa
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_levels_are_ordered() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
            assert_eq!(Isa::from_name(&isa.name().to_uppercase()), Some(isa));
        }
        assert_eq!(Isa::from_name("sse9"), None);
        assert!(Isa::Scalar < Isa::Avx2 && Isa::Avx2 < Isa::Avx512);
        assert!(level() <= detected());
        // `NABLA_ISA` (as CI sets it) is honoured.
        if let Some(cap) = std::env::var("NABLA_ISA").ok().and_then(|name| Isa::from_name(&name)) {
            assert_eq!(level(), cap.min(detected()));
        }
    }
}
