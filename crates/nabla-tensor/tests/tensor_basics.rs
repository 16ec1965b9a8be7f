//! Constructors, read-back, seeded randomness, and the parallel paths (large element-wise
//! ops, reductions and matrix multiplies) against plain serial references.

use approx::assert_relative_eq;
use nabla_tensor::Tensor;
use nabla_tensor::rand::{SeedableRng, rngs::StdRng};

#[test]
fn constructors_and_read_back() {
    assert_eq!(Tensor::zeros(&[2, 3]).to_vec(), vec![0.0; 6]);
    assert_eq!(Tensor::ones(&[2]).to_vec(), vec![1.0; 2]);
    assert_eq!(Tensor::full(&[1, 2], 7.5).to_vec(), vec![7.5; 2]);
    assert_eq!(Tensor::scalar(3.0).item().unwrap(), 3.0);
    assert_eq!(Tensor::scalar(3.0).shape(), &[] as &[usize]);
    assert_eq!(Tensor::arange(0.0, 1.0, 0.25).unwrap().to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    assert_eq!(Tensor::arange(3.0, 0.0, -1.0).unwrap().to_vec(), vec![3.0, 2.0, 1.0]);
    let array = ndarray::arr2(&[[1.0f32, 2.0], [3.0, 4.0]]);
    let t = Tensor::from_array(array.clone());
    assert_eq!((t.shape(), t.ndim(), t.numel()), (&[2usize, 2][..], 2, 4));
    assert_eq!(t.dim(-1).unwrap(), 2);
    assert_eq!(t.data().view(), array.into_dyn().view());
    assert_eq!(t.t().unwrap().to_vec(), vec![1.0, 3.0, 2.0, 4.0], "to_vec reads a view in logical order");
    assert_eq!(t.to_array().shape(), &[2, 2]);
    let clone = t.clone();
    assert_eq!(clone.id(), t.id(), "a clone is the same tensor");
    assert!(format!("{t:?}").contains("shape=[2, 2]"));
}

#[test]
fn random_tensors_follow_their_seed_and_distribution() {
    let draw = |seed| Tensor::normal(&[10_000], 2.0, 0.5, &mut StdRng::seed_from_u64(seed)).unwrap();
    assert_eq!(draw(1).to_vec(), draw(1).to_vec());
    assert_ne!(draw(1).to_vec(), draw(2).to_vec());
    let x = draw(3);
    assert_relative_eq!(x.mean_all().unwrap().item().unwrap(), 2.0, epsilon = 0.02);
    assert_relative_eq!(x.var(&[], false, true).unwrap().item().unwrap().sqrt(), 0.5, epsilon = 0.02);
    let u = Tensor::uniform(&[10_000], -3.0, 1.0, &mut StdRng::seed_from_u64(4)).unwrap();
    assert!(u.to_vec().iter().all(|v| (-3.0..1.0).contains(v)));
    assert_relative_eq!(u.mean_all().unwrap().item().unwrap(), -1.0, epsilon = 0.05);
}

#[test]
fn large_element_wise_ops_and_reductions_match_serial_loops() {
    let mut rng = StdRng::seed_from_u64(5);
    let a = Tensor::uniform(&[300, 257], -1.0, 1.0, &mut rng).unwrap();
    let b = Tensor::uniform(&[257], -1.0, 1.0, &mut rng).unwrap();
    let (av, bv) = (a.to_vec(), b.to_vec());
    let sum = a.mul(&b).unwrap().exp().unwrap();
    for (i, v) in sum.to_vec().iter().enumerate() {
        assert_relative_eq!(*v, (av[i] * bv[i % 257]).exp(), max_relative = 1e-6);
    }
    let rows = a.sum(&[1], false).unwrap().to_vec();
    let cols = a.max(&[0], false).unwrap().to_vec();
    for r in 0..300 {
        assert_relative_eq!(rows[r], av[r * 257..(r + 1) * 257].iter().sum::<f32>(), epsilon = 1e-4);
    }
    for c in 0..257 {
        assert_eq!(cols[c], (0..300).map(|r| av[r * 257 + c]).fold(f32::MIN, f32::max));
    }
}

fn naive_matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0f64; m * n];
    for i in 0..m {
        for p in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
        }
    }
    c.into_iter().map(|v| v as f32).collect()
}

#[test]
fn matmul_kernel_paths_match_a_naive_product() {
    let mut rng = StdRng::seed_from_u64(6);
    // One large product (threaded inside the kernel), and many small ones (threaded over the batch).
    for (batch, m, k, n) in [(1, 300, 260, 230), (37, 9, 11, 7)] {
        let a = Tensor::uniform(&[batch, m, k], -1.0, 1.0, &mut rng).unwrap();
        let b = Tensor::uniform(&[batch, k, n], -1.0, 1.0, &mut rng).unwrap();
        let c = a.matmul(&b).unwrap().to_vec();
        let (av, bv) = (a.to_vec(), b.to_vec());
        for i in 0..batch {
            let want = naive_matmul(&av[i * m * k..(i + 1) * m * k], &bv[i * k * n..(i + 1) * k * n], m, k, n);
            for (g, w) in c[i * m * n..(i + 1) * m * n].iter().zip(want) {
                assert_relative_eq!(*g, w, epsilon = 1e-4, max_relative = 1e-4);
            }
        }
    }
}

#[test]
fn a_prepared_right_hand_matrix_gives_the_naive_product_for_every_layout() {
    use nabla_tensor::linalg::{PackedRhs, matmul_packed};
    let mut rng = StdRng::seed_from_u64(8);
    // An LSTM step's shapes (32 rows, k within and past one block), edge tiles, one row.
    for (m, k, n) in [(32, 256, 1024), (32, 300, 70), (13, 5, 33), (1, 3, 1)] {
        let a = Tensor::uniform(&[m, k], -1.0, 1.0, &mut rng).unwrap().to_vec();
        let b = Tensor::uniform(&[k, n], -1.0, 1.0, &mut rng).unwrap().to_vec();
        let want = naive_matmul(&a, &b, m, k, n);
        let transpose = |x: &[f32], rows: usize, cols: usize| -> Vec<f32> {
            (0..rows * cols).map(|i| x[(i % rows) * cols + i / rows]).collect()
        };
        let (at, bt) = (transpose(&a, m, k), transpose(&b, k, n));
        for (b_values, b_transposed) in [(&b, false), (&bt, true)] {
            let packed = PackedRhs::new(k, n, b_values, b_transposed);
            for (a_values, a_transposed) in [(&a, false), (&at, true)] {
                let mut c = vec![f32::NAN; m * n];
                matmul_packed(m, a_values, a_transposed, &packed, &mut c);
                for (g, w) in c.iter().zip(&want) {
                    assert_relative_eq!(*g, *w, epsilon = 1e-4, max_relative = 1e-4);
                }
            }
        }
    }
}

#[test]
fn matmul_takes_transposed_and_permuted_operands() {
    let mut rng = StdRng::seed_from_u64(7);
    let a = Tensor::uniform(&[3, 5, 4], -1.0, 1.0, &mut rng).unwrap();
    let b = Tensor::uniform(&[3, 6, 5], -1.0, 1.0, &mut rng).unwrap();
    let contiguous = |x: &Tensor| Tensor::from_vec(x.to_vec(), x.shape()).unwrap();
    let close = |x: Vec<f32>, y: Vec<f32>| x.iter().zip(&y).all(|(p, q)| (p - q).abs() < 1e-5);
    // Transposed views are used in place; a permutation that is neither layout is copied.
    let (at, bt) = (a.transpose(1, 2).unwrap(), b.transpose(1, 2).unwrap());
    let want = contiguous(&at).matmul(&contiguous(&bt)).unwrap().to_vec();
    for (x, y) in [(&at, &bt), (&contiguous(&at), &bt), (&at, &contiguous(&bt))] {
        assert!(close(x.matmul(y).unwrap().to_vec(), want.clone()));
    }
    let strided = a.permute(&[1, 0, 2]).unwrap(); // [5, 3, 4] with strided batch axes
    let right = at.narrow(0, 0, 1).unwrap(); // [1, 4, 5]
    let want = contiguous(&strided).matmul(&contiguous(&right)).unwrap().to_vec();
    assert!(close(strided.matmul(&right).unwrap().to_vec(), want));
}
