//! Tells the crate whether it is being compiled without optimisation (cargo's `OPT_LEVEL` 0),
//! so that it can warn at run time: unoptimised, nabla's numeric code is tens of times slower.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(nabla_unoptimized)");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("OPT_LEVEL").is_ok_and(|level| level == "0") {
        println!("cargo::rustc-cfg=nabla_unoptimized");
    }
}
