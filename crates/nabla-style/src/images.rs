//! The bundled images (256×256 RGB; provenance and licences in `data/README.md`): the content
//! photo of astronaut Eileen Collins and three styles — gravel, brick and the Hubble Deep Field.
//! Each is returned as `[3, 256, 256]` values in [0, 1].

use nabla_data::image::decode_image;
use nabla_tensor::Tensor;

/// Decodes a bundled PNG (compiled in, so the error cannot happen for these files).
fn bundled(bytes: &[u8], name: &str) -> Tensor {
    decode_image(bytes, name).unwrap_or_else(|e| unreachable!("the bundled {name} decodes: {e}"))
}

/// NASA astronaut Eileen Collins (public domain).
pub fn astronaut() -> Tensor {
    bundled(include_bytes!("../data/content-astronaut.png"), "content-astronaut.png")
}

/// A gravel texture (CC0), grey.
pub fn gravel() -> Tensor {
    bundled(include_bytes!("../data/style-gravel.png"), "style-gravel.png")
}

/// A brick-wall texture (CC0), grey.
pub fn brick() -> Tensor {
    bundled(include_bytes!("../data/style-brick.png"), "style-brick.png")
}

/// The Hubble eXtreme Deep Field (public domain).
pub fn hubble() -> Tensor {
    bundled(include_bytes!("../data/style-hubble.png"), "style-hubble.png")
}
