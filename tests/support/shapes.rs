//! The output shapes PyTorch documents for the ops the no-panic suite calls, written out here
//! independently of nabla's own shape code, so that a call that returns `Ok` can be checked
//! against them. Each function assumes the call was valid and returns `None` when it was not
//! (an axis out of range, shapes that do not broadcast): an `Ok` from nabla then fails the check.

/// `axis` (negative from the end) as an index into `rank` axes.
pub fn axis(axis: isize, rank: usize) -> Option<usize> {
    let resolved = if axis < 0 { rank as isize + axis } else { axis };
    (0..rank as isize).contains(&resolved).then_some(resolved as usize)
}

/// NumPy broadcasting.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i < rank - s.len() { 1 } else { s[i - (rank - s.len())] };
    (0..rank)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `torch.matmul`: vectors are promoted and the added axis removed again; batch axes broadcast.
pub fn matmul(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    match (a.len(), b.len()) {
        (0, _) | (_, 0) => None,
        (1, 1) => (a[0] == b[0]).then(Vec::new),
        (1, _) => {
            let mut out = matmul(&[&[1][..], a].concat(), b)?;
            out.remove(out.len() - 2);
            Some(out)
        }
        (_, 1) => {
            let mut out = matmul(a, &[b, &[1][..]].concat())?;
            out.pop();
            Some(out)
        }
        (ra, rb) => {
            if a[ra - 1] != b[rb - 2] {
                return None;
            }
            let mut out = broadcast(&a[..ra - 2], &b[..rb - 2])?;
            out.extend([a[ra - 2], b[rb - 1]]);
            Some(out)
        }
    }
}

/// A reduction over `axes` (empty: all).
pub fn reduce(shape: &[usize], axes: &[isize], keepdim: bool) -> Option<Vec<usize>> {
    let mut reduced = vec![axes.is_empty(); shape.len()];
    for &a in axes {
        reduced[axis(a, shape.len())?] = true;
    }
    Some(
        shape
            .iter()
            .zip(&reduced)
            .filter_map(|(&d, &r)| match (r, keepdim) {
                (false, _) => Some(d),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect(),
    )
}

/// `x.reshape(target)` with at most one `-1` inferred.
pub fn reshape(shape: &[usize], target: &[isize]) -> Option<Vec<usize>> {
    let numel: usize = shape.iter().product();
    let known: usize = target.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
    target
        .iter()
        .map(|&d| match d {
            -1 if known > 0 => Some(numel / known),
            d if d >= 0 => Some(d as usize),
            _ => None,
        })
        .collect()
}

/// `shape` with axis `at` set to `dim`.
pub fn with_axis(shape: &[usize], at: isize, dim: usize) -> Option<Vec<usize>> {
    let mut out = shape.to_vec();
    out[axis(at, shape.len())?] = dim;
    Some(out)
}

/// `x.permute(perm)`.
pub fn permute(shape: &[usize], perm: &[isize]) -> Option<Vec<usize>> {
    perm.iter().map(|&p| axis(p, shape.len()).map(|a| shape[a])).collect()
}

/// `x.transpose(a, b)`.
pub fn transpose(shape: &[usize], a: isize, b: isize) -> Option<Vec<usize>> {
    let mut out = shape.to_vec();
    out.swap(axis(a, shape.len())?, axis(b, shape.len())?);
    Some(out)
}

/// `torch.cat([x, y], axis)`.
pub fn concat(x: &[usize], y: &[usize], at: isize) -> Option<Vec<usize>> {
    let a = axis(at, x.len())?;
    with_axis(x, at, x[a] + *y.get(a)?)
}

/// `x.unsqueeze(at)` (`torch.stack` inserts its new axis the same way, with the count).
pub fn insert_axis(shape: &[usize], at: isize, dim: usize) -> Option<Vec<usize>> {
    let a = axis(at, shape.len() + 1)?;
    let mut out = shape.to_vec();
    out.insert(a, dim);
    Some(out)
}

/// `x.squeeze(at)`.
pub fn squeeze(shape: &[usize], at: isize) -> Option<Vec<usize>> {
    let mut out = shape.to_vec();
    out.remove(axis(at, shape.len())?);
    Some(out)
}

/// `torch.flatten(x, start, end)`; a 0-d tensor becomes `[1]`.
pub fn flatten(shape: &[usize], start: isize, end: isize) -> Option<Vec<usize>> {
    if shape.is_empty() {
        return Some(vec![1]);
    }
    let (s, e) = (axis(start, shape.len())?, axis(end, shape.len())?);
    let merged = shape[s..=e].iter().product();
    Some(shape[..s].iter().copied().chain([merged]).chain(shape[e + 1..].iter().copied()).collect())
}

/// A window's output length: `(size + 2·padding − dilation·(kernel − 1) − 1) / stride + 1`.
pub fn window(size: usize, padding: usize, dilation: usize, kernel: usize, stride: usize) -> Option<usize> {
    let span = dilation * (kernel.checked_sub(1)?) + 1;
    Some((size + 2 * padding).checked_sub(span)? / stride + 1)
}

/// A transposed window's output length:
/// `(size − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1`.
pub fn transposed_window(
    size: usize,
    padding: usize,
    dilation: usize,
    kernel: usize,
    stride: usize,
    output_padding: usize,
) -> Option<usize> {
    ((size.checked_sub(1)?) * stride + dilation * (kernel.checked_sub(1)?) + output_padding + 1)
        .checked_sub(2 * padding)
}
