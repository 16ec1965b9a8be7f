//! Any bytes given to the safetensors state-dict reader: an error or tensors, never a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = nabla_nn::read_tensors(bytes, "fuzz");
});
