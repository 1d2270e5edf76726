//! Shared test machinery: the GPU, seeded inputs, the parity helper
//! (`check_op`, after tinygrad's helper_test_op) and the finite-difference
//! gradient check.

use gan_gpu::gpu::{AdapterChoice, Gpu, Program, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::OnceLock;

/// One device per choice, opened by the first test that asks (tests run in
/// parallel natively; a device opened twice is dropped).
async fn shared(cell: &'static OnceLock<Gpu>, choice: AdapterChoice) -> &'static Gpu {
    if let Some(gpu) = cell.get() {
        return gpu;
    }
    let gpu = Gpu::new(&choice).await.unwrap_or_else(|e| panic!("{e}"));
    cell.get_or_init(|| gpu)
}

/// The adapter for every GPU test. No adapter is a failure with the
/// message that says what to install, never a silent skip.
pub async fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    shared(&GPU, AdapterChoice::default()).await
}

/// The same adapter with the matrix kernels that use no subgroup
/// operations, so the fallback path is tested where subgroups exist.
pub async fn gpu_without_subgroups() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    let choice = AdapterChoice {
        no_subgroups: true,
        ..Default::default()
    };
    shared(&GPU, choice).await
}

/// The same adapter with the subgroup kernels reading their operands from
/// storage buffers: where the default reads them by texel fetch
/// (lavapipe), this is the path every GPU runs.
pub async fn gpu_with_storage_operands() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    let choice = AdapterChoice {
        no_texel_operands: true,
        ..Default::default()
    };
    shared(&GPU, choice).await
}

/// Every kernel path of this adapter, named: the default; the subgroup
/// kernels on storage operands, where the default reads textures; and the
/// kernels without subgroups.
pub async fn kernel_paths() -> Vec<(&'static Gpu, &'static str)> {
    let default = gpu().await;
    let mut paths = vec![(default, "default")];
    if default.texel_operands {
        paths.push((gpu_with_storage_operands().await, "storage operands"));
    }
    paths.push((gpu_without_subgroups().await, "no subgroups"));
    paths
}

/// The storage binding limit of [`gpu_with_small_bindings`]: small enough
/// that the chunking tests' column matrices split into uneven chunks.
pub const SMALL_BINDING: u64 = 24 * 1024;

/// The adapter with its storage bindings capped at [`SMALL_BINDING`] bytes
/// (subgroup kernels or not), so that layers of test size split their
/// column matrices as the model's do past 128 MiB.
pub async fn gpu_with_small_bindings(no_subgroups: bool) -> &'static Gpu {
    static WITH: OnceLock<Gpu> = OnceLock::new();
    static WITHOUT: OnceLock<Gpu> = OnceLock::new();
    let choice = AdapterChoice {
        no_subgroups,
        max_storage_binding: Some(SMALL_BINDING),
        ..Default::default()
    };
    shared(if no_subgroups { &WITHOUT } else { &WITH }, choice).await
}

/// `len` seeded draws from U[-1, 1).
pub fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

pub fn to64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

/// Asserts |got - want| ≤ tol · (|want| + rms(want)) element-wise: relative
/// to each value, with the array's RMS as the floor so that values near
/// zero (sums that cancel) are judged on the scale of their neighbours.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let rms = (want.iter().map(|v| v * v).sum::<f64>() / want.len().max(1) as f64).sqrt();
    let floor = rms.max(1e-30);
    let mut worst = (0.0, 0usize);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(g.is_finite(), "{what}[{i}] = {g} is not finite");
        let err = (g as f64 - w).abs() / (w.abs() + floor);
        if err > worst.0 {
            worst = (err, i);
        }
    }
    let (err, i) = worst;
    assert!(
        err <= tol,
        "{what}: element {i} is {} but the reference is {} (relative error {err:.3e} > {tol:.1e})",
        got[i],
        want[i]
    );
}

/// Runs an op on the GPU and its reference on the CPU with the same
/// inputs, and compares every output with `assert_close`.
pub async fn check_op(
    name: &str,
    inputs: &[(Vec<usize>, Vec<f32>)],
    outputs: &[Vec<usize>],
    tol: f64,
    record: impl Fn(&Gpu, &mut Program, &[Tensor], &[Tensor]) -> gan_gpu::Result<()>,
    reference: impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>>,
) {
    check_op_on(gpu().await, name, inputs, outputs, tol, record, reference).await
}

/// [`check_op`] on a given device.
pub async fn check_op_on(
    gpu: &Gpu,
    name: &str,
    inputs: &[(Vec<usize>, Vec<f32>)],
    outputs: &[Vec<usize>],
    tol: f64,
    record: impl Fn(&Gpu, &mut Program, &[Tensor], &[Tensor]) -> gan_gpu::Result<()>,
    reference: impl Fn(&[Vec<f64>]) -> Vec<Vec<f64>>,
) {
    let ins: Vec<Tensor> = inputs
        .iter()
        .map(|(s, d)| gpu.upload("input", s, d).unwrap())
        .collect();
    let outs: Vec<Tensor> = outputs
        .iter()
        .map(|s| gpu.zeros("output", s).unwrap())
        .collect();
    let mut prog = Program::new();
    record(gpu, &mut prog, &ins, &outs).unwrap_or_else(|e| panic!("{name}: {e}"));
    gpu.run(&prog).unwrap_or_else(|e| panic!("{name}: {e}"));
    let want = reference(&inputs.iter().map(|(_, d)| to64(d)).collect::<Vec<_>>());
    assert_eq!(
        want.len(),
        outs.len(),
        "{name}: reference returned the wrong number of outputs"
    );
    for (k, (t, w)) in outs.iter().zip(&want).enumerate() {
        let got: Vec<f32> = gpu.download(t).await.unwrap();
        assert_close(&format!("{name} output {k}"), &got, w, tol);
    }
}

/// Checks an analytic gradient against central finite differences of the
/// scalar function `f` in f64: max |numeric - analytic| must be within
/// `tol` of the gradient's scale.
pub fn check_gradient(
    what: &str,
    x: &[f64],
    f: impl Fn(&[f64]) -> f64,
    analytic: &[f64],
    tol: f64,
) {
    assert_eq!(x.len(), analytic.len(), "{what}: gradient length");
    let scale = analytic.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        let h = 1e-5 * x[i].abs().max(1.0);
        xp[i] = x[i] + h;
        let up = f(&xp);
        xp[i] = x[i] - h;
        let down = f(&xp);
        xp[i] = x[i];
        let numeric = (up - down) / (2.0 * h);
        let err = (numeric - analytic[i]).abs() / scale;
        assert!(
            err <= tol,
            "{what}: d/dx[{i}] is {} analytically but {numeric} by finite differences (error {err:.2e})",
            analytic[i]
        );
    }
}

/// Σ y · r: a scalar loss whose gradient with respect to y is r, used to
/// turn a vector function into something finite differences can check.
pub fn dot(y: &[f64], r: &[f64]) -> f64 {
    y.iter().zip(r).map(|(a, b)| a * b).sum()
}

/// A step counter at `step` on the device, for the random streams.
pub fn step_counter(gpu: &Gpu, step: u32) -> Tensor {
    gan_gpu::ops::counter::StepCounter {
        step,
        batch_start: 0,
    }
    .upload(gpu, "counter")
    .unwrap()
}
