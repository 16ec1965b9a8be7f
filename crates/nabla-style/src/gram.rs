//! The Gram matrix as one op: `G = F Fᵀ / scale` forward, `dF = (dG + dGᵀ) F / scale`
//! backward — one matrix multiply each way. Composed as `F.matmul(F.transpose())`, the
//! backward made two gradients for `F`, one of them a transposed view, and adding those took
//! more time than the products (9% of a style-transfer step, W7).

use nabla_tensor::elementwise::contiguous;
use nabla_tensor::linalg::{Matrix, matmul_into};
use nabla_tensor::ndarray::{ArrayD, IxDyn};
use nabla_tensor::{BackwardContext, Data, Op, Result, buffers};

/// The op: input `F` `[N, C, L]`, output `[N, C, C]`, each product divided by `scale`.
pub(crate) struct GramOp {
    pub scale: f32,
}

impl Op for GramOp {
    fn name(&self) -> &'static str {
        "gram_matrix"
    }

    fn forward(&mut self, inputs: &[&Data]) -> Result<Data> {
        let &[n, c, l] = inputs[0].shape() else { unreachable!("gram_matrix checks the rank") };
        let f = contiguous(inputs[0]);
        let mut g = buffers::buffer(n * c * c);
        for (g, f) in g.chunks_exact_mut(c * c).zip(f.chunks_exact(c * l)) {
            matmul_into([c, c, l], Matrix::plain(f), Matrix::transposed(f), g);
            g.iter_mut().for_each(|v| *v /= self.scale);
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&[n, c, c]), g).expect("N×C×C").into_shared())
    }

    fn backward(&self, ctx: &BackwardContext<'_>) -> Result<Vec<Option<Data>>> {
        let &[n, c, l] = ctx.inputs[0].shape() else { unreachable!("gram_matrix checks the rank") };
        let (f, dg) = (contiguous(&ctx.inputs[0]), contiguous(ctx.grad_output));
        let mut df = buffers::buffer(n * c * l);
        let mut symmetric = vec![0.0f32; c * c];
        for ((df, f), dg) in df.chunks_exact_mut(c * l).zip(f.chunks_exact(c * l)).zip(dg.chunks_exact(c * c)) {
            for (i, row) in symmetric.chunks_exact_mut(c).enumerate() {
                row.iter_mut().enumerate().for_each(|(j, s)| *s = (dg[i * c + j] + dg[j * c + i]) / self.scale);
            }
            matmul_into([c, l, c], Matrix::plain(&symmetric), Matrix::plain(f), df);
        }
        Ok(vec![Some(ArrayD::from_shape_vec(IxDyn(&[n, c, l]), df).expect("N×C×L").into_shared())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabla_tensor::Tensor;
    use nabla_testkit::{assert_gradients, uniform};

    #[test]
    fn passes_gradcheck_and_matches_the_composed_product() {
        let scale = 7.0;
        assert_gradients(
            "gram_matrix",
            |t| Tensor::apply(GramOp { scale }, &[&t[0]]),
            vec![uniform(&[2, 3, 5], -1.0, 1.0, 1)],
        );
        let f = uniform(&[2, 4, 9], -1.0, 1.0, 2);
        let fused = Tensor::apply(GramOp { scale }, &[&f]).unwrap().to_vec();
        let composed = f.matmul(&f.transpose(1, 2).unwrap()).unwrap().div_scalar(scale).unwrap().to_vec();
        for (a, b) in fused.iter().zip(&composed) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
