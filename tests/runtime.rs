//! The process-wide caches a user controls: the tensor buffer store and the convolution table
//! cache each fill while a model trains, shrink to a lower cap when one is set, stay empty at a
//! cap of 0, and empty on a clear. One test, in a binary of its own: the caches are global.

use nabla::Tensor;
use nabla::conv::{Conv2d, Conv2dConfig, clear_table_cache, set_table_cache_cap, table_cache_bytes};
use nabla::nn::Module;
use nabla::tensor::buffers;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};

/// A few forward and backward passes of a convolution: freed activations and gradients go to
/// the buffer store, and the convolution's tables to the table cache.
fn train_a_little(conv: &Conv2d) {
    let x = Tensor::uniform(&[4, 3, 32, 32], -1.0, 1.0, &mut StdRng::seed_from_u64(1)).unwrap();
    for _ in 0..3 {
        let loss = conv.forward(&x).unwrap().powf(2.0).unwrap().sum_all().unwrap();
        drop(loss.backward().unwrap());
    }
}

#[test]
fn caps_and_clears_take_effect() {
    let config = Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(3, 16, 3) };
    let conv = Conv2d::new(config, &mut StdRng::seed_from_u64(0)).unwrap();

    // Defaults: both fill.
    assert_eq!(buffers::cap(), buffers::DEFAULT_CAP_BYTES);
    train_a_little(&conv);
    let held = buffers::held_bytes();
    assert!(held >= 4 * 16 * 32 * 32 * 4, "the store keeps at least an output's buffer, holds {held}");
    assert!(table_cache_bytes() > 0, "the convolution's tables are cached");

    // A lower cap frees down to it at once, and is kept to afterwards.
    let cap = 256 * 1024;
    let freed = buffers::set_cap(cap);
    assert!(
        buffers::held_bytes() <= cap && freed >= held - cap,
        "held {} after freeing {freed}",
        buffers::held_bytes()
    );
    train_a_little(&conv);
    assert!(buffers::held_bytes() <= cap, "held {} over a cap of {cap}", buffers::held_bytes());

    // Clear empties both caches.
    buffers::set_cap(buffers::DEFAULT_CAP_BYTES);
    train_a_little(&conv);
    assert!(buffers::held_bytes() > 0);
    let before = buffers::held_bytes();
    assert_eq!(buffers::clear(), before);
    assert_eq!(buffers::held_bytes(), 0);
    let tables = table_cache_bytes();
    assert_eq!(clear_table_cache(), tables);
    assert_eq!(table_cache_bytes(), 0);

    // A cap of 0 keeps nothing, and training still works.
    buffers::set_cap(0);
    set_table_cache_cap(0);
    train_a_little(&conv);
    assert_eq!((buffers::held_bytes(), table_cache_bytes()), (0, 0));
}
