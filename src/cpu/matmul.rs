//! Reference for `shaders/matmul.wgsl`.

/// C[m, n] = A[m, k] · B[k, n], row-major.
pub fn matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    assert_eq!(a.len(), m * k);
    assert_eq!(b.len(), k * n);
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

/// The transpose of a [rows, cols] matrix.
pub fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut t = vec![0.0; a.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = a[r * cols + c];
        }
    }
    t
}

/// Gradients of C = A · B: (dA = dC · Bᵀ, dB = Aᵀ · dC).
pub fn matmul_backward(
    a: &[f64],
    b: &[f64],
    dc: &[f64],
    m: usize,
    k: usize,
    n: usize,
) -> (Vec<f64>, Vec<f64>) {
    let da = matmul(dc, &transpose(b, k, n), m, n, k);
    let db = matmul(&transpose(a, m, k), dc, k, m, n);
    (da, db)
}

/// Adds bias[j] to every row of a [rows, n] matrix.
pub fn add_bias(c: &mut [f64], bias: &[f64]) {
    let n = bias.len();
    for (i, v) in c.iter_mut().enumerate() {
        *v += bias[i % n];
    }
}
