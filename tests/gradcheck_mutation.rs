//! Gradient checks that can fail: for a sample of ops across the crates (21 of them), a backward that is
//! zeroed, doubled, or wrong in a single element must fail [`gradcheck`] with its default
//! tolerances, and the unmutated op must pass.
//!
//! The mutation is an identity op put in front of each input, whose backward changes the
//! gradient the op under test returned for that input. That is the same as changing the op's
//! own backward rule, without editing the crate.

use nabla::activations::{log_softmax, sigmoid, softmax, tanh};
use nabla::attention::{AttentionMask, AttentionOptions, scaled_dot_product_attention};
use nabla::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, MaxPool2d, Pool2dConfig, batch_norm_2d};
use nabla::losses::{BceOptions, CrossEntropyOptions, Reduction, binary_cross_entropy, cross_entropy, mse};
use nabla::nn::{BatchNormConfig, LayerNorm, Linear, LinearConfig, Module};
use nabla::recurrent::{CellKind, CellParams};
use nabla::style::gram_matrix;
use nabla::tensor::rand::{SeedableRng, rngs::StdRng};
use nabla::tensor::{BackwardContext, Data, Op, Result};
use nabla::{GradcheckOptions, Tensor, gradcheck};
use nabla_testkit::uniform;

/// How the identity op's backward corrupts the gradient flowing through it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mutation {
    /// Passes the gradient unchanged: the control, which must pass.
    None,
    Zeroed,
    Doubled,
    /// Doubles only the element of largest magnitude.
    OneElementDoubled,
}

struct Mutate(Mutation);

impl Op for Mutate {
    fn name(&self) -> &'static str {
        "mutate"
    }
    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        Ok(inputs[0].clone())
    }
    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let mut grad = ctx.grad_output.to_owned();
        match self.0 {
            Mutation::None => {}
            Mutation::Zeroed => grad.fill(0.0),
            Mutation::Doubled => grad.mapv_inplace(|g| 2.0 * g),
            Mutation::OneElementDoubled => {
                let largest = grad.iter_mut().max_by(|a, b| a.abs().total_cmp(&b.abs()));
                if let Some(g) = largest {
                    *g *= 2.0;
                }
            }
        }
        Ok(vec![Some(grad.into_shared())])
    }
}

type Case = (&'static str, Box<dyn Fn(&[Tensor]) -> Result<Tensor>>, Vec<Tensor>);

fn rng() -> StdRng {
    StdRng::seed_from_u64(7)
}

/// The ops under test, each with inputs of order 1.
fn cases() -> Vec<Case> {
    let x = uniform(&[6, 10], -1.0, 1.0, 1);
    let conv = Conv2d::new(Conv2dConfig { padding: (1, 1), ..Conv2dConfig::new(2, 3, 3) }, &mut rng()).unwrap();
    let transposed =
        ConvTranspose2d::new(Conv2dConfig { stride: (2, 2), ..Conv2dConfig::new(2, 2, 3) }, &mut rng()).unwrap();
    let linear = Linear::new(LinearConfig::new(4, 3), &mut rng()).unwrap();
    let cell = CellParams::new(CellKind::Lstm, 3, 4, true, &mut rng()).unwrap();
    let image = uniform(&[2, 2, 5, 4], -1.0, 1.0, 2);
    let cases: Vec<Case> = vec![
        // The full mean over 60 elements: a true gradient of 1/60 per element.
        ("mean", Box::new(|t| t[0].mean(&[], false)), vec![x.clone()]),
        ("var", Box::new(|t| t[0].var(&[], false, true)), vec![x.clone()]),
        ("sum over an axis", Box::new(|t| t[0].sum(&[1], false)), vec![x.clone()]),
        ("matmul", Box::new(|t| t[0].matmul(&t[1])), vec![x.clone(), uniform(&[10, 3], -1.0, 1.0, 3)]),
        ("exp", Box::new(|t| t[0].exp()), vec![x.clone()]),
        ("sigmoid", Box::new(|t| Ok(sigmoid(&t[0]))), vec![x.clone()]),
        ("tanh", Box::new(|t| Ok(tanh(&t[0]))), vec![x.clone()]),
        ("softmax", Box::new(|t| softmax(&t[0], 1)), vec![x.clone()]),
        ("log_softmax", Box::new(|t| log_softmax(&t[0], 0)), vec![x.clone()]),
        (
            "cross_entropy",
            Box::new(|t| cross_entropy(&t[0], vec![0usize, 3, 9, 1, 2, 5], &CrossEntropyOptions::default())),
            vec![x.clone()],
        ),
        ("mse", Box::new(|t| mse(&t[0], &t[1], Reduction::Mean)), vec![x.clone(), uniform(&[6, 10], -1.0, 1.0, 4)]),
        (
            "binary_cross_entropy",
            // The target takes no gradient, so it is a constant here.
            Box::new(|t| binary_cross_entropy(&t[0], &uniform(&[6, 10], 0.0, 1.0, 6), &BceOptions::default())),
            vec![uniform(&[6, 10], 0.2, 0.8, 5)],
        ),
        (
            "Linear",
            Box::new(move |t| {
                let mut layer = linear.clone();
                (layer.weight, layer.bias) = (t[1].clone(), Some(t[2].clone()));
                layer.forward(&t[0])
            }),
            vec![uniform(&[5, 4], -1.0, 1.0, 7), uniform(&[3, 4], -1.0, 1.0, 8), uniform(&[3], -1.0, 1.0, 9)],
        ),
        (
            "Conv2d",
            Box::new({
                let conv = conv.clone();
                move |t| {
                    let mut layer = conv.clone();
                    (layer.weight, layer.bias) = (t[1].clone(), Some(t[2].clone()));
                    layer.forward(&t[0])
                }
            }),
            vec![image.clone(), conv.weight.clone(), conv.bias.clone().unwrap()],
        ),
        (
            "ConvTranspose2d",
            Box::new({
                let transposed = transposed.clone();
                move |t| {
                    let mut layer = transposed.clone();
                    (layer.weight, layer.bias) = (t[1].clone(), Some(t[2].clone()));
                    layer.forward(&t[0])
                }
            }),
            vec![image.clone(), transposed.weight.clone(), transposed.bias.clone().unwrap()],
        ),
        ("MaxPool2d", Box::new(|t| MaxPool2d(Pool2dConfig::new(2)).forward(&t[0])), vec![image.clone()]),
        ("BatchNorm", Box::new(|t| batch_norm_2d(BatchNormConfig::new(2)).forward(&t[0])), vec![image.clone()]),
        (
            "LSTM cell",
            Box::new(move |t| {
                let mut p = cell.clone();
                p.weight_ih = t[0].clone();
                let next = p.step(CellKind::Lstm, &p.input_gates(&t[1])?, &t[2..])?;
                Tensor::concat(&next.iter().collect::<Vec<_>>(), 1)
            }),
            vec![
                cell_weight(),
                uniform(&[2, 3], -1.0, 1.0, 10),
                uniform(&[2, 4], -1.0, 1.0, 11),
                uniform(&[2, 4], -1.0, 1.0, 12),
            ],
        ),
        ("gram_matrix", Box::new(|t| gram_matrix(&t[0])), vec![image]),
        (
            "LayerNorm",
            Box::new(|t| {
                let mut layer = LayerNorm::new(&[10]);
                (layer.weight, layer.bias) = (Some(t[1].clone()), Some(t[2].clone()));
                layer.forward(&t[0])
            }),
            vec![x.clone(), uniform(&[10], 0.5, 1.5, 13), uniform(&[10], -1.0, 1.0, 14)],
        ),
        (
            "scaled_dot_product_attention",
            Box::new(|t| {
                let mask = AttentionMask::Additive(uniform(&[4, 5], -1.0, 1.0, 15));
                let options = AttentionOptions { masks: vec![mask], is_causal: true, ..Default::default() };
                scaled_dot_product_attention(&t[0], &t[1], &t[2], &options)
            }),
            vec![
                uniform(&[2, 4, 3], -1.0, 1.0, 16),
                uniform(&[2, 5, 3], -1.0, 1.0, 17),
                uniform(&[2, 5, 2], -1.0, 1.0, 18),
            ],
        ),
    ];
    cases
}

/// The LSTM's input weights, `[4·hidden, input]`.
fn cell_weight() -> Tensor {
    uniform(&[16, 3], -0.5, 0.5, 13)
}

#[test]
fn unmutated_ops_pass_and_every_mutation_fails_gradcheck() {
    let options = GradcheckOptions::default();
    for (name, op, inputs) in cases() {
        for mutation in [Mutation::None, Mutation::Zeroed, Mutation::Doubled, Mutation::OneElementDoubled] {
            let mutated = |t: &[Tensor]| {
                let wrapped = t.iter().map(|x| Tensor::apply(Mutate(mutation), &[x])).collect::<Result<Vec<_>>>()?;
                op(&wrapped)
            };
            let report = gradcheck(mutated, &inputs, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            if mutation == Mutation::None {
                assert!(report.passed(), "{name}: {report}");
            } else {
                assert!(!report.passed(), "{name} with its gradient {mutation:?} passed gradcheck: {report}");
            }
        }
    }
}
