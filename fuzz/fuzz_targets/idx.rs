//! Any bytes given to the IDX reader (raw or gzip, ranks 1 to 3): an error or an array, never a
//! crash or an allocation larger than the file can hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    for rank in 1..=3 {
        let _ = nabla_data::read_idx_u8("fuzz", bytes, rank);
    }
});
