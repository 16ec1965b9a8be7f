//! Bad input gets a typed error naming the op and the shapes, never a panic or a silent NaN.

use nabla_tensor::{Error, Indices, Tensor};

fn t(shape: &[usize]) -> Tensor {
    Tensor::ones(shape)
}

#[test]
fn shape_mismatches_name_the_op_and_both_shapes() {
    let err = t(&[64, 784]).matmul(&t(&[256, 128])).unwrap_err();
    assert_eq!(err.to_string(), "matmul: shapes [64, 784] and [256, 128] do not align (784 != 256)");
    let err = t(&[3, 4]).add(&t(&[5])).unwrap_err();
    assert_eq!(err, Error::Broadcast { op: "add", lhs: vec![3, 4], rhs: vec![5] });
    assert_eq!(err.to_string(), "add: shapes [3, 4] and [5] cannot be broadcast together");
    assert!(matches!(t(&[2, 3, 4]).matmul(&t(&[3, 4, 5])), Err(Error::Broadcast { op: "matmul", .. })));
    assert!(matches!(t(&[2, 3]).where_cond(&t(&[4]), &t(&[3])), Err(Error::Broadcast { op: "where_cond", .. })));
    assert!(matches!(t(&[2]).broadcast_to(&[3]), Err(Error::Broadcast { op: "broadcast_to", .. })));
    assert!(matches!(t(&[2, 3]).broadcast_to(&[3]), Err(Error::Broadcast { op: "broadcast_to", .. })));
    assert!(matches!(Tensor::concat(&[&t(&[2, 3]), &t(&[3, 3])], 1), Err(Error::ShapeMismatch { op: "concat", .. })));
    assert!(matches!(Tensor::stack(&[&t(&[2]), &t(&[3])], 0), Err(Error::ShapeMismatch { op: "stack", .. })));
    assert!(matches!(t(&[2, 3]).gather(1, [0, 1]), Err(Error::ShapeMismatch { op: "gather", .. })));
}

#[test]
fn bad_axes_and_indices() {
    let x = t(&[2, 3]);
    assert_eq!(x.sum(&[2], false).unwrap_err(), Error::AxisOutOfRange { op: "sum", axis: 2, shape: vec![2, 3] });
    assert!(x.sum(&[-2], false).is_ok());
    assert!(matches!(x.mean(&[-3], true), Err(Error::AxisOutOfRange { op: "mean", .. })));
    assert!(matches!(x.sum(&[0, 0], false), Err(Error::InvalidArgument { op: "sum", .. })));
    assert!(matches!(x.permute(&[0, 0]), Err(Error::InvalidArgument { op: "permute", .. })));
    assert!(matches!(x.transpose(0, 5), Err(Error::AxisOutOfRange { op: "transpose", .. })));
    assert!(matches!(x.squeeze(0), Err(Error::InvalidArgument { op: "squeeze", .. })));
    assert!(matches!(x.unsqueeze(3), Err(Error::AxisOutOfRange { op: "unsqueeze", .. })));
    assert!(x.unsqueeze(2).is_ok() && x.unsqueeze(-3).is_ok());
    assert!(matches!(x.narrow(1, 2, 2), Err(Error::IndexOutOfRange { op: "narrow", .. })));
    assert!(matches!(x.index_select(0, [0, 2]), Err(Error::IndexOutOfRange { op: "index_select", index: 2, .. })));
    let index = Indices::new(vec![0, 3], &[2, 1]).unwrap();
    assert!(matches!(x.gather(1, &index), Err(Error::IndexOutOfRange { op: "gather", index: 3, .. })));
    let negative = Indices::new(vec![-1, 1], &[2, 1]).unwrap();
    assert!(matches!(x.gather(1, &negative), Err(Error::IndexOutOfRange { op: "gather", index: -1, .. })));
    let fractional = Tensor::from_vec(vec![0.5, 1.0], &[2, 1]).unwrap();
    assert!(matches!(
        Indices::from_tensor(&fractional),
        Err(Error::InvalidArgument { op: "Indices::from_tensor", .. })
    ));
    assert!(matches!(x.flatten(1, 0), Err(Error::InvalidArgument { op: "flatten", .. })));
    assert!(matches!(x.pad(&[(1, 1)], 0.0), Err(Error::InvalidArgument { op: "pad", .. })));
}

#[test]
fn bad_shapes_and_arguments() {
    assert!(matches!(Tensor::from_vec(vec![1.0; 5], &[2, 3]), Err(Error::Reshape { op: "from_vec", .. })));
    let x = t(&[2, 3]);
    assert_eq!(
        x.reshape(&[4, 2]).unwrap_err().to_string(),
        "reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)"
    );
    assert!(matches!(x.reshape(&[-1, -1]), Err(Error::ReshapeInfer { .. })));
    let error = x.reshape(&[4, -1]).unwrap_err();
    assert!(matches!(error, Error::ReshapeInfer { .. }));
    assert!(error.to_string().contains("into [4, -1]"), "{error}");
    assert_eq!(x.reshape(&[-1]).unwrap().shape(), &[6]);
    assert!(matches!(x.item(), Err(Error::InvalidArgument { op: "item", .. })));
    assert!(matches!(x.clamp(1.0, 0.0), Err(Error::InvalidArgument { op: "clamp", .. })));
    assert!(matches!(x.div_scalar(0.0), Err(Error::InvalidArgument { op: "div_scalar", .. })));
    assert!(matches!(Tensor::arange(0.0, 1.0, 0.0), Err(Error::InvalidArgument { op: "arange", .. })));
    assert!(matches!(Tensor::arange(0.0, 1.0, -0.5), Err(Error::InvalidArgument { op: "arange", .. })));
    let mut rng = <nabla_tensor::rand::rngs::StdRng as nabla_tensor::rand::SeedableRng>::seed_from_u64(0);
    assert!(matches!(Tensor::uniform(&[2], 1.0, 0.0, &mut rng), Err(Error::InvalidArgument { op: "uniform", .. })));
    assert!(matches!(Tensor::normal(&[2], 0.0, -1.0, &mut rng), Err(Error::InvalidArgument { op: "normal", .. })));
    assert!(matches!(Tensor::scalar(1.0).matmul(&t(&[1])), Err(Error::InvalidArgument { op: "matmul", .. })));
}

#[test]
fn empty_inputs_are_errors_not_nan() {
    let empty = t(&[0, 3]);
    assert_eq!(empty.sum(&[0], false).unwrap().to_vec(), vec![0.0; 3], "an empty sum is 0, as in PyTorch");
    assert!(matches!(empty.mean(&[0], false), Err(Error::Empty { op: "mean", .. })));
    assert!(matches!(empty.max(&[], false), Err(Error::Empty { op: "max", .. })));
    assert!(matches!(empty.min(&[0], true), Err(Error::Empty { op: "min", .. })));
    assert!(matches!(t(&[1, 3]).var(&[0], false, true), Err(Error::InvalidArgument { op: "var", .. })));
    assert!(matches!(Tensor::concat(&[], 0), Err(Error::Empty { op: "concat", .. })));
    assert!(matches!(Tensor::stack(&[], 0), Err(Error::Empty { op: "stack", .. })));
    assert_eq!(empty.max(&[1], false).unwrap().shape(), &[0], "reducing a non-empty axis of an empty tensor is fine");
    assert_eq!(t(&[0, 4]).matmul(&t(&[4, 2])).unwrap().shape(), &[0, 2]);
    assert_eq!(t(&[2, 0]).matmul(&t(&[0, 3])).unwrap().to_vec(), vec![0.0; 6]);
}

#[test]
#[should_panic(expected = "add: shapes [2] and [3] cannot be broadcast together")]
fn operator_sugar_panics_with_the_error_message() {
    let _ = &t(&[2]) + &t(&[3]);
}

#[test]
fn operator_sugar_computes_what_the_methods_do() {
    let a = Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap();
    let b = Tensor::from_vec(vec![4.0, 8.0], &[2]).unwrap();
    assert_eq!((&a + &b).to_vec(), vec![5.0, 10.0]);
    assert_eq!((&b - &a).to_vec(), vec![3.0, 6.0]);
    assert_eq!((&a * &b).to_vec(), vec![4.0, 16.0]);
    assert_eq!((&b / &a).to_vec(), vec![4.0, 4.0]);
    assert_eq!((&(&a * 3.0) - 1.0).to_vec(), vec![2.0, 5.0]);
    assert_eq!((-&(&b / 2.0)).to_vec(), vec![-2.0, -4.0]);
    assert_eq!((&a + 0.5).to_vec(), vec![1.5, 2.5]);
}
