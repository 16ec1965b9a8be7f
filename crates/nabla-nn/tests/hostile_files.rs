//! The bounded, in-CI version of the state-dict fuzz target in `fuzz/`: random bytes and
//! mutations of a valid safetensors file (flipped bytes, truncations, a header length or
//! tensor offsets that lie) must give `Ok` or a typed `Err`, never a panic; a header that
//! claims more data than the file holds is refused before anything is allocated for it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use nabla_nn::{StateDictError, read_tensors};
use nabla_tensor::Tensor;
use proptest::prelude::*;

/// A valid file: two f32 tensors and metadata, written once.
fn valid() -> Vec<u8> {
    static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("valid.safetensors");
        let tensors = vec![
            ("weight".to_string(), Tensor::from_vec((0..6).map(|i| i as f32).collect(), &[2, 3]).unwrap()),
            ("bias".to_string(), Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap()),
        ];
        let metadata = [("step".to_string(), "3".to_string())].into_iter().collect();
        nabla_nn::save_tensors_with_metadata(&path, &tensors, &metadata).unwrap();
        std::fs::read(&path).unwrap()
    })
    .clone()
}

proptest! {
    #![proptest_config(nabla_testkit::proptest_config(2048))]

    #[test]
    fn the_state_dict_reader_never_panics(random in prop::collection::vec(any::<u8>(), 0..96),
                                          edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
                                          keep in 0usize..400, which in 0..2usize) {
        let bytes = if which == 0 {
            random
        } else {
            let mut bytes = valid();
            for &(at, value) in &edits {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            bytes.truncate(keep);
            bytes
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| read_tensors(&bytes, "fuzz").map(|(t, _)| t.len())));
        prop_assert!(outcome.is_ok(), "panicked on {bytes:?}");
    }
}

#[test]
fn a_valid_file_reads_back_with_its_metadata() {
    let (tensors, metadata) = read_tensors(&valid(), "valid").unwrap();
    assert_eq!(tensors.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["bias", "weight"]);
    assert_eq!(metadata["step"], "3");
}

#[test]
fn headers_that_claim_more_than_the_file_holds_are_refused() {
    let bytes = valid();
    // The header length (the first 8 bytes) claims 2⁶⁰ bytes.
    let mut long = bytes.clone();
    long[..8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(matches!(read_tensors(&long, "long"), Err(StateDictError::Format { .. })));
    // A tensor whose shape claims a million values (offsets unchanged): the header no longer
    // agrees with the data, and nothing is built.
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[8..8 + header_len].to_vec()).unwrap();
    let lying = header.replace("[2,3]", "[1000,1000]");
    let mut file = (lying.len() as u64).to_le_bytes().to_vec();
    file.extend(lying.as_bytes());
    file.extend(&bytes[8 + header_len..]);
    let error = read_tensors(&file, "lying").unwrap_err();
    assert!(matches!(error, StateDictError::Format { .. }), "{error}");
}
