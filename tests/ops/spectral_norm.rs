use crate::common::*;
use gan_gpu::cpu;
use gan_gpu::gpu::{Gpu, Program, Tensor};
use gan_gpu::ops::spectral_norm::{backward, forward, Spectral};
use wasm_bindgen_test::wasm_bindgen_test;

/// The GPU tensors of one normalised [rows, cols] matrix.
struct Matrix {
    rows: usize,
    w: Tensor,
    u: Tensor,
    v: Tensor,
    sigma: Tensor,
    w_sn: Tensor,
}

impl Matrix {
    fn new(gpu: &Gpu, rows: usize, cols: usize, w: &[f32], u: &[f32]) -> Matrix {
        Matrix {
            rows,
            w: gpu.upload("w", &[rows, cols], w).unwrap(),
            u: gpu.upload("u", &[cols], u).unwrap(),
            v: gpu.zeros("v", &[rows]).unwrap(),
            // σ in slot 1 of 2: the index is honoured.
            sigma: gpu.zeros("sigma", &[2]).unwrap(),
            w_sn: gpu.zeros("w_sn", &[rows, cols]).unwrap(),
        }
    }

    fn spectral(&self) -> Spectral<'_> {
        Spectral {
            w: &self.w,
            rows: self.rows,
            u: &self.u,
            v: &self.v,
            sigma: &self.sigma,
            index: 1,
            w_sn: &self.w_sn,
        }
    }
}

/// The discriminator's three kernels (conv1 25×64, conv2 1600×128, dense
/// 6272×1) and odd shapes, more columns than a workgroup included.
const SHAPES: [(usize, usize); 6] = [(7, 3), (25, 64), (1600, 128), (6272, 1), (3, 300), (1, 1)];

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn forward_and_backward_match_reference() {
    let gpu = gpu().await;
    for (rows, cols) in SHAPES {
        let (w, u, g) = (
            random(rows * cols, 1),
            random(cols, 2),
            random(rows * cols, 3),
        );
        let m = Matrix::new(gpu, rows, cols, &w, &u);
        let grad = gpu.upload("grad", &[rows, cols], &g).unwrap();
        let mut prog = Program::new();
        forward(gpu, &mut prog, &m.spectral()).unwrap();
        backward(gpu, &mut prog, &m.spectral(), &grad).unwrap();
        gpu.run(&prog).unwrap();
        let step = cpu::spectral_norm::power_iteration(&to64(&w), rows, &to64(&u));
        let w_sn = cpu::spectral_norm::normalize(&to64(&w), step.sigma);
        let dw = cpu::spectral_norm::backward(&to64(&g), &w_sn, &step);
        let what = |t: &str| format!("{t} [{rows}, {cols}]");
        // f32 sums of up to 6272 products of O(1) values.
        let tol = 2e-5;
        let sigma: Vec<f32> = gpu.download(&m.sigma).await.unwrap();
        assert_close(&what("sigma"), &sigma[1..], &[step.sigma], tol);
        assert_eq!(sigma[0], 0.0, "slot 0 untouched");
        assert_close(
            &what("u"),
            &gpu.download::<f32>(&m.u).await.unwrap(),
            &step.u,
            tol,
        );
        assert_close(
            &what("v"),
            &gpu.download::<f32>(&m.v).await.unwrap(),
            &step.v,
            tol,
        );
        assert_close(
            &what("w_sn"),
            &gpu.download::<f32>(&m.w_sn).await.unwrap(),
            &w_sn,
            tol,
        );
        assert_close(
            &what("dw"),
            &gpu.download::<f32>(&grad).await.unwrap(),
            &dw,
            tol,
        );
    }
}

/// Repeated steps converge to the largest singular value, as nalgebra's
/// SVD gives it, and W / σ then has spectral norm 1.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn power_iteration_finds_the_largest_singular_value() {
    let gpu = gpu().await;
    let (rows, cols) = (40, 30);
    let w = random(rows * cols, 4);
    let m = Matrix::new(gpu, rows, cols, &w, &vec![1.0; cols]);
    let mut prog = Program::new();
    for _ in 0..100 {
        forward(gpu, &mut prog, &m.spectral()).unwrap();
    }
    gpu.run(&prog).unwrap();
    let matrix = nalgebra::DMatrix::from_row_slice(rows, cols, &to64(&w));
    let largest = matrix.singular_values().max();
    let sigma: Vec<f32> = gpu.download(&m.sigma).await.unwrap();
    assert_close("sigma", &sigma[1..], &[largest], 1e-5);
    let w_sn: Vec<f32> = gpu.download(&m.w_sn).await.unwrap();
    let normalised = nalgebra::DMatrix::from_row_slice(rows, cols, &to64(&w_sn));
    assert!((normalised.singular_values().max() - 1.0).abs() < 1e-5);
}

/// The backward is the gradient of L(W) = Σ r ∘ W / (vᵀ W u) with u and v
/// held at one power-iteration step's values, as the shader treats them.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn cpu_backward_matches_finite_differences() {
    let (rows, cols) = (6, 4);
    let w = to64(&random(rows * cols, 5));
    let r = to64(&random(rows * cols, 6));
    let step = cpu::spectral_norm::power_iteration(&w, rows, &to64(&random(cols, 7)));
    let sigma_of = |w: &[f64]| -> f64 {
        (0..rows * cols)
            .map(|k| step.v[k / cols] * w[k] * step.u[k % cols])
            .sum()
    };
    assert!((sigma_of(&w) - step.sigma).abs() < 1e-12, "σ = vᵀWu");
    let analytic =
        cpu::spectral_norm::backward(&r, &cpu::spectral_norm::normalize(&w, step.sigma), &step);
    check_gradient(
        "spectral norm",
        &w,
        |w| dot(&cpu::spectral_norm::normalize(w, sigma_of(w)), &r),
        &analytic,
        1e-6,
    );
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn mismatched_shapes_are_errors() {
    let gpu = gpu().await;
    let m = Matrix::new(gpu, 4, 3, &[0.0; 12], &[0.0; 3]);
    let bad_u = gpu.zeros("u", &[4]).unwrap();
    let s = Spectral {
        u: &bad_u,
        ..m.spectral()
    };
    let err = forward(gpu, &mut Program::new(), &s).unwrap_err();
    assert!(err.to_string().contains("needs u [3]"), "{err}");
    let s = Spectral {
        rows: 5,
        ..m.spectral()
    };
    let err = forward(gpu, &mut Program::new(), &s).unwrap_err();
    assert!(err.to_string().contains("is not 5 rows"), "{err}");
    let grad = gpu.zeros("grad", &[11]).unwrap();
    let err = backward(gpu, &mut Program::new(), &m.spectral(), &grad).unwrap_err();
    assert!(err.to_string().contains("grad [11]"), "{err}");
}
