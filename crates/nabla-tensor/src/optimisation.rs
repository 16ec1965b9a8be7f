//! Whether nabla's tensor core was compiled with optimisation, and the one-time warning when it
//! was not: a dependent crate's debug build compiles its dependencies unoptimised unless its
//! `Cargo.toml` says otherwise, and the numeric code then runs tens of times slower.

/// Whether this crate was compiled with optimisation (cargo's `opt-level` above 0).
pub const OPTIMIZED: bool = !cfg!(nabla_unoptimized);

/// What the warning says; the README's "Using it" section has the same snippet.
pub const UNOPTIMIZED_WARNING: &str = "warning: nabla was compiled without optimisation (opt-level 0), \
so its tensor ops run tens of times slower than in a release build (45 times in a measured LSTM). Add this to your Cargo.toml:\n\
\n    [profile.dev.package.\"*\"]\n    opt-level = 3\n\n\
(or build with --release). Set NABLA_NO_OPT_WARNING=1 to silence this.";

/// Prints [`UNOPTIMIZED_WARNING`] to standard error once per process, when this crate was
/// compiled without optimisation and `NABLA_NO_OPT_WARNING` is not set.
#[inline]
pub(crate) fn warn_once() {
    if !OPTIMIZED {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            if std::env::var_os("NABLA_NO_OPT_WARNING").is_none() {
                eprintln!("{UNOPTIMIZED_WARNING}");
            }
        });
    }
}
