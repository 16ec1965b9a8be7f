//! Any bytes given to the image decoder: an error or an image, never a crash or an allocation
//! larger than the file can hold.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = nabla_data::image::decode_image(bytes, "fuzz");
});
