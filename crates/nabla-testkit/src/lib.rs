//! Test support for nabla's crates (not published): loading the PyTorch reference cases each
//! crate keeps under `tests/golden/`, and comparing tensors with a stated tolerance.

use std::collections::HashMap;
use std::path::Path;

use nabla_tensor::Tensor;

/// Every tensor of a safetensors file, by name, as f32 tensors.
///
/// # Panics
/// When the file cannot be read or holds something other than f32 (a test setup error).
pub fn load(path: impl AsRef<Path>) -> HashMap<String, Tensor> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            assert_eq!(view.dtype(), safetensors::Dtype::F32, "{}: {name} is not f32", path.display());
            let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            (name, Tensor::from_vec(values, view.shape()).expect("consistent shape"))
        })
        .collect()
}

/// How close a result must be, element by element: `|got - want| <= rtol·|want| + atol`.
///
/// The absolute part is a floor for values near zero, tied to f32 rather than to the tensor's
/// largest value, so a large element elsewhere does not loosen the small ones.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub rtol: f32,
    pub atol: f32,
}

/// 1e-5 relative (about 80 f32 ulps), plus 1e-6 absolute for values near zero.
pub const TIGHT: Tolerance = Tolerance { rtol: 1e-5, atol: 1e-6 };

/// Asserts `got` matches `want` in shape and, element by element, within `tol` (equal
/// infinities match).
///
/// # Panics
/// On the first element out of tolerance, naming the case, the tensor and the position.
pub fn assert_close(case: &str, what: &str, got: &Tensor, want: &Tensor, tol: Tolerance) {
    assert_eq!(got.shape(), want.shape(), "{case}: {what} shape");
    let want = want.to_vec();
    for (i, (g, w)) in got.to_vec().iter().zip(&want).enumerate() {
        let allowed = tol.rtol * w.abs() + tol.atol;
        let same_infinity = g.is_infinite() && g == w;
        assert!(
            same_infinity || (g - w).abs() <= allowed,
            "{case}: {what}[{i}] = {g}, PyTorch {w} (allowed {allowed:e})"
        );
    }
}

/// Runs one reference case: loads `dir/case.safetensors`, tracks the tensors named in `inputs`,
/// applies `f` (which also sees the whole file, for targets and indices), and compares the
/// output and, after `output.backward_with(grad_output)`, each input's `grad_<name>`.
///
/// # Panics
/// When `f` fails or any value is out of tolerance.
pub fn check_case(
    dir: &str,
    case: &str,
    inputs: &[&str],
    tol: Tolerance,
    f: impl Fn(&[Tensor], &HashMap<String, Tensor>) -> nabla_tensor::Result<Tensor>,
) {
    let file = load(format!("{dir}/{case}.safetensors"));
    let tracked: Vec<Tensor> = inputs.iter().map(|name| file[*name].clone().requires_grad(true)).collect();
    let output = f(&tracked, &file).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_close(case, "output", &output, &file["output"], tol);
    let grads = output.backward_with(&file["grad_output"]).unwrap_or_else(|e| panic!("{case}: backward: {e}"));
    for (name, tensor) in inputs.iter().zip(&tracked) {
        let grad = grads.get(tensor).unwrap_or_else(|| panic!("{case}: no gradient for {name}"));
        assert_close(case, &format!("grad_{name}"), grad, &file[&format!("grad_{name}")], tol);
    }
}

/// Asserts that autodiff's gradients of `f` at `inputs` agree with central finite differences
/// ([`nabla_tensor::gradcheck`] with its default tolerances).
///
/// # Panics
/// When `f` fails or any element is out of tolerance, with the worst element in the message.
pub fn assert_gradients(name: &str, f: impl Fn(&[Tensor]) -> nabla_tensor::Result<Tensor>, inputs: Vec<Tensor>) {
    let options = nabla_tensor::GradcheckOptions::default();
    let report = nabla_tensor::gradcheck(f, &inputs, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(report.passed(), "{name}: {report}");
    assert!(report.checked > 0, "{name}: nothing checked");
}

/// A tensor of the given shape drawn uniformly from `[low, high)` with a fixed seed.
pub fn uniform(shape: &[usize], low: f32, high: f32, seed: u64) -> Tensor {
    use nabla_tensor::rand::{SeedableRng, rngs::StdRng};
    Tensor::uniform(shape, low, high, &mut StdRng::seed_from_u64(seed)).expect("valid bounds")
}

/// Runs one reference case for a layer: sets the module's parameters and buffers from
/// `dir/case.safetensors` (PyTorch's `state_dict()` names), applies it to `input`, and compares
/// the `output`, `grad_input`, each `grad_<parameter>`, and each buffer with `<buffer>_after`
/// (a buffer without one must be unchanged).
///
/// # Panics
/// When the module fails or any value is out of tolerance.
pub fn check_module(dir: &str, case: &str, module: &dyn nabla_nn::Module, tol: Tolerance) {
    let file = load(format!("{dir}/{case}.safetensors"));
    for (name, tensor) in module.state_dict() {
        tensor.set_data(file[&name].data()).unwrap_or_else(|e| panic!("{case} {name}: {e}"));
    }
    let input = file["input"].clone().requires_grad(true);
    let output = module.forward(&input).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_close(case, "output", &output, &file["output"], tol);
    let grads = output.backward_with(&file["grad_output"]).unwrap_or_else(|e| panic!("{case}: backward: {e}"));
    assert_close(case, "grad_input", grads.get(&input).expect("input gradient"), &file["grad_input"], tol);
    for (name, param) in module.named_parameters() {
        assert_close(
            case,
            &format!("grad_{name}"),
            grads.get(&param).expect("parameter gradient"),
            &file[&format!("grad_{name}")],
            tol,
        );
    }
    // A buffer the file has no `<buffer>_after` for must be left as the file set it (an
    // evaluation pass), so a missing tensor cannot hide an update.
    let parameters: Vec<String> = module.named_parameters().into_iter().map(|(name, _)| name).collect();
    for (name, buffer) in module.state_dict() {
        if parameters.contains(&name) {
            continue;
        }
        let after = file.get(&format!("{name}_after")).unwrap_or(&file[&name]);
        assert_close(case, &format!("{name} after"), &buffer, after, tol);
    }
}

/// The configuration of nabla's property suites: `cases` per property unless `PROPTEST_CASES`
/// says otherwise, no failure files, and a fixed seed so that CI is repeatable
/// (`NABLA_PROPTEST_RANDOM=1` draws a fresh seed, for longer hunts).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngSeed};
    let random = std::env::var_os("NABLA_PROPTEST_RANDOM").is_some();
    Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases),
        failure_persistence: None,
        rng_seed: if random { RngSeed::Random } else { RngSeed::Fixed(20261130) },
        ..Config::default()
    }
}

/// The process's resident memory in bytes (Linux `/proc/self/statm`), if it can be read.
pub fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
