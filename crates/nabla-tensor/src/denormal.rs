//! Flushing denormal floats to zero, as `torch.set_flush_denormal`.
//!
//! Optimizer moments that decay towards zero become denormal floats, and every op that touches
//! them slows down many times over. Setting the CPU's flush-to-zero and denormals-are-zero modes
//! trades that tail of precision (below about 1e-38) for speed. The mode is per thread, so the
//! switch sets it on the calling thread and on every thread of rayon's global pool, where the
//! kernels run.

/// MXCSR bits: flush-to-zero (15) and denormals-are-zero (6).
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

#[cfg(target_arch = "x86_64")]
fn set_on_this_thread(on: bool) {
    let mut csr: u32 = 0;
    // SAFETY: `stmxcsr`/`ldmxcsr` read and write this thread's SSE control register, present on
    // every x86_64 CPU; only the FTZ and DAZ bits are changed, which affect float rounding of
    // tiny values and nothing else. Exercised by the `flush_denormal` tests.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
        csr = if on { csr | FTZ_DAZ } else { csr & !FTZ_DAZ };
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
    }
}

/// Turns flushing of denormals to zero on or off for this thread and rayon's global pool.
/// Returns whether the CPU supports it (x86_64); elsewhere nothing changes and it returns false.
///
/// ```
/// let supported = nabla_tensor::set_flush_denormal(true);
/// let tiny = std::hint::black_box(1e-39_f32);
/// if supported {
///     assert_eq!(tiny * 1.0, 0.0);
/// }
/// nabla_tensor::set_flush_denormal(false);
/// ```
pub fn set_flush_denormal(on: bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        set_on_this_thread(on);
        rayon::broadcast(|_| set_on_this_thread(on));
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = on;
        false
    }
}
