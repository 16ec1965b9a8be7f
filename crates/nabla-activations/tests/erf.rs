//! The exact GELU's erf (`nabla_tensor::math::erf`, a rational function that vectorises)
//! against libm's `erff`, and the GELU built on it against its formula in f64.

use nabla_tensor::math::erf;

#[test]
fn erf_is_within_a_millionth_of_libms_over_the_whole_line() {
    let (mut worst, mut worst_relative) = (0.0f64, 0.0f64);
    for i in 0..=2_000_000 {
        let x = -8.0 + 16.0 * i as f32 / 2_000_000.0;
        let (got, want) = (erf(x) as f64, libm::erff(x) as f64);
        worst = worst.max((got - want).abs());
        if want.abs() > 1e-30 {
            worst_relative = worst_relative.max((got - want).abs() / want.abs());
        }
    }
    println!("erf against erff: largest absolute difference {worst:e}, relative {worst_relative:e}");
    assert!(worst <= 1e-6, "largest absolute difference {worst:e}");
    assert!(worst_relative <= 2e-6, "largest relative difference {worst_relative:e}");
    for x in [1e-30f32, -1e-20, 1e-8, 4.0, 10.0, f32::INFINITY, f32::NEG_INFINITY] {
        assert!((erf(x) - libm::erff(x)).abs() <= 1e-6 * libm::erff(x).abs().max(1e-30) + 1e-37, "erf({x})");
    }
    assert!(erf(f32::NAN).is_nan());
}

#[test]
fn gelu_and_its_derivative_match_the_formula_in_f64() {
    let x = nabla_tensor::Tensor::from_vec((0..2001).map(|i| -10.0 + i as f32 * 0.01).collect(), &[2001]).unwrap();
    let x = x.requires_grad(true);
    let y = nabla_activations::gelu(&x);
    let grad = y.sum_all().unwrap().backward().unwrap();
    let grad = grad.get(&x).unwrap().to_vec();
    for ((&v, &got), &dg) in x.to_vec().iter().zip(&y.to_vec()).zip(&grad) {
        let v = v as f64;
        let cdf = 0.5 * (1.0 + libm::erf(v / std::f64::consts::SQRT_2));
        let pdf = (-0.5 * v * v).exp() / (2.0 * std::f64::consts::PI).sqrt();
        assert!((got as f64 - v * cdf).abs() <= 1e-6 * (v * cdf).abs() + 1e-6, "gelu({v}) = {got}");
        assert!((dg as f64 - (cdf + v * pdf)).abs() <= 1e-5, "gelu'({v}) = {dg}");
    }
}
