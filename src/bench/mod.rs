//! Shader microbenchmarks and the training-step benchmark (`gan-gpu bench`,
//! `cargo bench`). Every kernel runs at the seed model's real layer shapes
//! through the same ops API training uses.
//!
//! - `harness.rs`: timing (wall and process CPU time) and input allocation;
//! - `cases.rs`: one case per op family;
//! - `flops.rs`: the FLOP model of a training step, from the model's shape;
//! - `report.rs`: the text table;
//! - `against.rs`: this binary's training step against another build's;
//! - `profile.rs`: the training step timed dispatch by dispatch.
//!
//! The per-op and step benchmarks use wall time on every adapter (wall time
//! over a repeated pass is comparable across adapters; lavapipe's GPU
//! timestamps read the CPU clock anyway); `--profile` uses GPU timestamps
//! to split one step by dispatch. On Linux the process CPU time is measured
//! too: on a CPU adapter (lavapipe) GFLOP/s per CPU-second stays stable
//! when other work shares the machine.

pub mod against;
mod cases;
mod flops;
mod harness;
pub mod profile;
mod report;

pub use flops::step_flops;
pub use report::format_report;

use crate::error::Result;
use crate::gpu::{block_on, AdapterChoice, Gpu};
use crate::model::{ModelShape, LEAKY_SLOPE};
use crate::ops::activations::Activation;
use crate::ops::counter::StepCounter;
use crate::spec::conv::{conv2d_geometry, conv2d_transpose_geometry};
use crate::spec::optim::Optimizer;
use crate::train::{defaults, GanLoss, Trainer};
use cases::{bce_case, dropout_case, optim_case};
use harness::{cpu_seconds, Bencher};
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub batch_sizes: Vec<usize>,
    /// Substrings of op names to run; empty runs all.
    pub ops: Vec<String>,
    pub reps: usize,
    /// Training steps timed per batch size (0 skips the step benchmark).
    pub train_steps: usize,
    pub adapter: AdapterChoice,
    /// Image side (28 for Fashion-MNIST); small values make a quick smoke run.
    pub image_size: usize,
    /// Colour channels of the images: 1 (grey) or 3 (RGB).
    pub channels: usize,
}

impl BenchOptions {
    /// The model these options measure.
    pub fn shape(&self) -> Result<ModelShape> {
        let s = ModelShape::new(defaults::LATENT_DIM, self.image_size, self.image_size)?;
        Ok(s.with_channels(self.channels))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpResult {
    pub op: String,
    pub shape: String,
    pub batch: usize,
    pub flops: f64,
    pub bytes: f64,
    pub dispatches: usize,
    /// Median wall time of one execution of the op, microseconds.
    pub median_us: f64,
    pub gflops: f64,
    pub gbytes_per_s: f64,
    /// GFLOP per second of process CPU time (CPU adapters).
    pub gflops_per_cpu_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepResult {
    pub batch: usize,
    pub ms_per_step: f64,
    pub images_per_s: f64,
    pub dispatches_per_step: usize,
    pub flops_per_step: f64,
    pub gflops: f64,
    pub gflops_per_cpu_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub adapter: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub ops: Vec<OpResult>,
    pub steps: Vec<StepResult>,
}

pub fn run(opts: &BenchOptions) -> Result<Report> {
    let gpu = block_on(Gpu::new(&opts.adapter))?;
    let mut bench = Bencher {
        gpu: &gpu,
        opts,
        results: Vec::new(),
        salt: 0,
        counter: StepCounter::default().upload(&gpu, "bench counter")?,
    };
    let shape = opts.shape()?;
    let latent = shape.latent;
    let (sh, sw) = shape.seed_hw();
    let seed_features = sh * sw * shape.seed_channels();
    let flat = shape.disc_flat();
    if (opts.image_size, opts.channels) == (28, 1) {
        bench.matmul_case("matmul square", 0, (1024, 1024, 1024), false, false)?;
        bench.matmul_case("matmul im2col", 0, (64, 6272, 128), false, false)?;
    }
    let mut steps = Vec::new();
    for &b in &opts.batch_sizes {
        let d = 2 * b;
        bench.matmul_case(
            "gen dense forward",
            b,
            (b, latent, seed_features),
            false,
            false,
        )?;
        bench.matmul_case(
            "gen dense backward-weights",
            b,
            (latent, b, seed_features),
            true,
            false,
        )?;
        bench.matmul_case("disc dense forward", d, (d, flat, 1), false, false)?;
        bench.matmul_case("disc dense backward-input", d, (d, 1, flat), false, true)?;
        bench.matmul_case("disc dense backward-weights", d, (flat, d, 1), true, false)?;
        let mut hw = (sh, sw);
        for i in 0..shape.blocks {
            let spec = shape.gen_deconv(i);
            let name = format!("gen deconv{}", i + 1);
            let t = conv2d_transpose_geometry(&name, b, hw, &spec)?;
            bench.conv_case(&name, t, spec.in_c, true)?;
            let bn = format!("gen bn{}", i + 1);
            bench.batchnorm_case(&bn, b, &[b, hw.0, hw.1, spec.in_c])?;
            if i == 0 {
                bench.elementwise("selu", b, &t.image_shape(), Activation::Selu)?;
            }
            hw = (t.h, t.w);
        }
        bench.elementwise(
            "tanh",
            b,
            &[b, shape.height, shape.width, shape.channels],
            Activation::Tanh,
        )?;
        let mut hw = (shape.height, shape.width);
        for i in 0..shape.blocks {
            let spec = shape.disc_conv(i);
            let name = format!("disc conv{}", i + 1);
            let c = conv2d_geometry(&name, d, hw, &spec)?;
            bench.conv_case(&name, c, spec.out_c, false)?;
            if i == 0 {
                let act = [d, c.oh, c.ow, spec.out_c];
                bench.elementwise("leaky_relu", d, &act, Activation::LeakyRelu(LEAKY_SLOPE))?;
                dropout_case(&mut bench, d, &act)?;
            }
            hw = (c.oh, c.ow);
        }
        bce_case(&mut bench, d)?;
        // The generator's parameter buffer, as training lays it out.
        let gen_params =
            crate::model::params::layout(&crate::model::generator::Generator::specs(&shape)).1;
        optim_case(
            &mut bench,
            "adam generator",
            b,
            gen_params,
            Optimizer::adam(defaults::ADAM_LR),
        )?;
        optim_case(
            &mut bench,
            "rmsprop generator",
            b,
            gen_params,
            Optimizer::rmsprop(defaults::RMSPROP_LR),
        )?;
        if opts.train_steps > 0 && bench.wanted("train step") {
            steps.push(step_case(opts, &shape, b)?);
        }
    }
    Ok(Report {
        adapter: gpu.info.name.clone(),
        backend: format!("{:?}", gpu.info.backend),
        device_type: format!("{:?}", gpu.info.device_type),
        driver: format!("{} {}", gpu.info.driver, gpu.info.driver_info),
        ops: bench.results,
        steps,
    })
}

/// A trainer on synthetic data of the model's image size at batch `b`, on
/// a device of its own (so the microbenchmarks' buffers stay out of its
/// way), one step already run.
fn bench_trainer(opts: &BenchOptions, shape: &ModelShape, b: usize) -> Result<Trainer> {
    let count = (4 * b).max(64);
    let pixels: Vec<u8> = (0..count * shape.image_len())
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let images = crate::data::Images {
        count,
        height: shape.height,
        width: shape.width,
        channels: shape.channels,
        pixels,
    };
    let cfg = crate::train::TrainConfig {
        epochs: 1,
        batch_size: b,
        latent_dim: shape.latent,
        optimizer: Optimizer::adam(defaults::ADAM_LR),
        seed: 1,
        data: Default::default(),
        limit: None,
        log_every: 1_000_000,
        fake_batch_norm: Default::default(),
        label_smoothing: 0.0,
        disc_lr: None,
        loss: GanLoss::Bce,
        ema: None,
        spectral_norm: false,
        movie_every: None,
        conditional: false,
        image_size: None,
        channels: None,
    };
    let mut t = Trainer::new(block_on(Gpu::new(&opts.adapter))?, cfg, images)?;
    t.step()?;
    t.gpu.wait()?;
    Ok(t)
}

/// Times whole training steps on synthetic data of the model's image size.
fn step_case(opts: &BenchOptions, shape: &ModelShape, b: usize) -> Result<StepResult> {
    let mut t = bench_trainer(opts, shape, b)?;
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    for _ in 0..opts.train_steps {
        t.step()?;
    }
    t.gpu.wait()?;
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu0.and_then(|c0| cpu_seconds().map(|c1| c1 - c0));
    let flops = step_flops(shape, b);
    let n = opts.train_steps as f64;
    Ok(StepResult {
        batch: b,
        ms_per_step: secs / n * 1e3,
        images_per_s: n * b as f64 / secs,
        dispatches_per_step: t.dispatches_per_step(),
        flops_per_step: flops,
        gflops: flops * n / secs / 1e9,
        gflops_per_cpu_s: cpu.filter(|&c| c > 0.0).map(|c| flops * n / c / 1e9),
    })
}
