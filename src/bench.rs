//! Shader microbenchmarks and the training-step benchmark (`gan-gpu bench`,
//! `cargo bench`). Every kernel runs at the seed model's real layer shapes
//! through the same ops API training uses.
//!
//! Timing: each measurement submits a program that repeats the op's
//! dispatches `inner` times in one compute pass and waits, so the fixed cost
//! of a submit is spread over many dispatches; the median over `reps` such
//! submits is reported. Wall time is used on every adapter (GPU timestamp
//! queries are not used: lavapipe's read the CPU clock, and wall time over
//! a repeated pass is comparable across adapters). On Linux the process CPU
//! time is measured too: on a CPU adapter (lavapipe) GFLOP/s per
//! CPU-second stays stable when other work shares the machine.

use crate::error::Result;
use crate::gpu::{AdapterChoice, Gpu, Program, Tensor};
use crate::model::{ModelShape, DISC_CHANNELS, GEN_BASE_CHANNELS, GEN_MID_CHANNELS, LEAKY_SLOPE};
use crate::ops::activations::{self, Activation};
use crate::ops::conv::{
    self, conv2d_geometry, conv2d_transpose_geometry, Conv2dGrads, Conv2dTensors, Geometry,
};
use crate::ops::dropout::{self, RngSource};
use crate::ops::matmul::{self, matmul, Operand};
use crate::ops::optim::{self, Optimizer};
use crate::ops::{batchnorm, loss, random};
use serde::Serialize;
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
}

#[derive(Clone, Debug, Serialize)]
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

#[derive(Clone, Debug, Serialize)]
pub struct StepResult {
    pub batch: usize,
    pub ms_per_step: f64,
    pub images_per_s: f64,
    pub dispatches_per_step: usize,
    pub flops_per_step: f64,
    pub gflops: f64,
    pub gflops_per_cpu_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub adapter: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub ops: Vec<OpResult>,
    pub steps: Vec<StepResult>,
}

/// Process CPU time in seconds (user + system), where the OS tells it.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of those, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Median wall seconds and total CPU seconds of `reps` runs of `prog`.
fn time_program(gpu: &Gpu, prog: &Program, reps: usize) -> Result<(f64, Option<f64>, f64)> {
    gpu.run(prog)?;
    let mut walls = Vec::with_capacity(reps);
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    for _ in 0..reps {
        let t = Instant::now();
        gpu.run(prog)?;
        walls.push(t.elapsed().as_secs_f64());
    }
    let total_wall = start.elapsed().as_secs_f64();
    let cpu = cpu0.and_then(|c0| cpu_seconds().map(|c1| c1 - c0));
    walls.sort_by(|a, b| a.total_cmp(b));
    Ok((walls[walls.len() / 2], cpu, total_wall))
}

struct Bencher<'a> {
    gpu: &'a Gpu,
    opts: &'a BenchOptions,
    results: Vec<OpResult>,
    /// Salt of the next random input, and the counter the fills read.
    salt: u32,
    counter: Tensor,
}

impl Bencher<'_> {
    /// A tensor of U[-1, 1) inputs, drawn on the GPU by the project's own
    /// seeded fill.
    fn random(&mut self, label: &str, shape: &[usize]) -> Result<Tensor> {
        self.salt += 1;
        let t = self.gpu.zeros(label, shape)?;
        let mut fill = Program::new();
        let rng = RngSource {
            seed: 1,
            salt: self.salt,
            counter: &self.counter,
        };
        random::uniform(self.gpu, &mut fill, rng, &t, -1.0, 1.0)?;
        self.gpu.run(&fill)?;
        Ok(t)
    }

    fn zeros(&self, label: &str, shape: &[usize]) -> Result<Tensor> {
        self.gpu.zeros(label, shape)
    }

    fn wanted(&self, op: &str) -> bool {
        self.opts.ops.is_empty() || self.opts.ops.iter().any(|o| op.contains(o.as_str()))
    }

    /// Measures `record` (one execution of an op) repeated to fill a pass.
    fn measure(
        &mut self,
        op: &str,
        shape: String,
        batch: usize,
        flops: f64,
        bytes: f64,
        record: impl Fn(&mut Program) -> Result<()>,
    ) -> Result<()> {
        if !self.wanted(op) {
            return Ok(());
        }
        let mut once = Program::new();
        record(&mut once)?;
        let dispatches = once.len();
        // Aim for ~50 ms of work per submit on lavapipe-class throughput.
        let inner = ((5e8 / flops.max(bytes * 4.0).max(1.0)) as usize).clamp(1, 64);
        let mut prog = Program::new();
        for _ in 0..inner {
            record(&mut prog)?;
        }
        let (median, cpu, total_wall) = time_program(self.gpu, &prog, self.opts.reps)?;
        let per_op = median / inner as f64;
        let total_flops = flops * (inner * self.opts.reps) as f64;
        self.results.push(OpResult {
            op: op.to_string(),
            shape,
            batch,
            flops,
            bytes,
            dispatches,
            median_us: per_op * 1e6,
            gflops: flops / per_op / 1e9,
            gbytes_per_s: bytes / per_op / 1e9,
            gflops_per_cpu_s: cpu
                .filter(|&c| c > 0.0 && total_wall > 0.0)
                .map(|c| total_flops / c / 1e9),
        });
        Ok(())
    }

    fn matmul_case(
        &mut self,
        op: &str,
        batch: usize,
        (m, k, n): (usize, usize, usize),
        a_t: bool,
        b_t: bool,
    ) -> Result<()> {
        let a = self.random("a", &if a_t { [k, m] } else { [m, k] })?;
        let b = self.random("b", &if b_t { [n, k] } else { [k, n] })?;
        let c = self.zeros("c", &[m, n])?;
        let gpu = self.gpu;
        let flops = matmul::flops(m, n, k);
        let bytes = 4.0 * (m * k + k * n + m * n) as f64;
        let shape = format!(
            "[{m}x{k}]{}·[{k}x{n}]{}",
            if a_t { "ᵀ" } else { "" },
            if b_t { "ᵀ" } else { "" }
        );
        self.measure(op, shape, batch, flops, bytes, |p| {
            let a = if a_t {
                Operand::transposed(&a)
            } else {
                Operand::plain(&a)
            };
            let b = if b_t {
                Operand::transposed(&b)
            } else {
                Operand::plain(&b)
            };
            matmul(gpu, p, a, b, None, &c)
        })
    }

    fn conv_case(
        &mut self,
        name: &str,
        g: Geometry,
        other_c: usize,
        transpose: bool,
    ) -> Result<()> {
        let gpu = self.gpu;
        let image = g.n * g.h * g.w * g.c;
        let grid = g.rows() * other_c;
        let x = self.random(
            "x",
            &if transpose {
                vec![g.n, g.oh, g.ow, other_c]
            } else {
                g.image_shape().to_vec()
            },
        )?;
        let w = self.random("w", &[g.kh, g.kw, g.c, other_c])?;
        let bias_len = if transpose { g.c } else { other_c };
        let b = self.random("b", &[bias_len])?;
        let col = self.zeros("col", &[g.rows(), g.cols()])?;
        let dcol = self.zeros("dcol", &[g.rows(), g.cols()])?;
        let y = self.zeros(
            "y",
            &if transpose {
                g.image_shape().to_vec()
            } else {
                vec![g.n, g.oh, g.ow, other_c]
            },
        )?;
        let dy = self.random("dy", y.shape())?;
        let dx = self.zeros("dx", x.shape())?;
        let dw = self.zeros("dw", w.shape())?;
        let db = self.zeros("db", &[bias_len])?;
        let flops = matmul::flops(g.rows(), other_c, g.cols());
        let col_bytes = 4.0 * (g.rows() * g.cols()) as f64;
        let io = 4.0 * (image + grid + g.cols() * other_c) as f64;
        let t = Conv2dTensors {
            x: &x,
            w: &w,
            b: &b,
            col: &col,
            y: &y,
        };
        let shape = format!(
            "{}x{}x{} {} {}x{}x{} k{} s{}",
            if transpose { g.oh } else { g.h },
            if transpose { g.ow } else { g.w },
            if transpose { other_c } else { g.c },
            "→",
            if transpose { g.h } else { g.oh },
            if transpose { g.w } else { g.ow },
            if transpose { g.c } else { other_c },
            g.kh,
            g.stride
        );
        let batch = g.n;
        // Forward, then each backward product on its own: dx (input
        // gradient) and dw + db (weight gradient).
        let fwd = |p: &mut Program| {
            if transpose {
                conv::conv2d_transpose_forward(gpu, p, &g, other_c, &t)
            } else {
                conv::conv2d_forward(gpu, p, &g, other_c, &t)
            }
        };
        self.measure(
            &format!("{name} forward"),
            shape.clone(),
            batch,
            flops,
            io + 2.0 * col_bytes,
            fwd,
        )?;
        // The forward's data movement alone (im2col, or col2im for the
        // transpose), to show what share of the layer it is.
        let movement = if transpose { "col2im" } else { "im2col" };
        self.measure(
            &format!("{name} {movement} alone"),
            shape.clone(),
            batch,
            0.0,
            io + col_bytes,
            |p| {
                if transpose {
                    conv::col2im(gpu, p, &g, &col, Some(&b), &y)
                } else {
                    conv::im2col(gpu, p, &g, &x, &col)
                }
            },
        )?;
        let bwd = |p: &mut Program, want_dx: bool| {
            let d = Conv2dGrads {
                dy: &dy,
                dw: (!want_dx).then_some((&dw, &db)),
                dcol: &dcol,
                dx: want_dx.then_some(&dx),
            };
            if transpose {
                conv::conv2d_transpose_backward(gpu, p, &g, other_c, &t, &d)
            } else {
                conv::conv2d_backward(gpu, p, &g, other_c, &t, &d)
            }
        };
        self.measure(
            &format!("{name} backward-input"),
            shape.clone(),
            batch,
            flops,
            io + 2.0 * col_bytes,
            |p| bwd(p, true),
        )?;
        self.measure(
            &format!("{name} backward-weights"),
            shape,
            batch,
            flops,
            io + col_bytes,
            |p| bwd(p, false),
        )
    }

    fn elementwise(
        &mut self,
        op: &str,
        batch: usize,
        shape: &[usize],
        act: Activation,
    ) -> Result<()> {
        let gpu = self.gpu;
        let x = self.random("x", shape)?;
        let dy = self.random("dy", shape)?;
        let y = self.zeros("y", shape)?;
        let len = x.len() as f64;
        let desc = format!("{shape:?}");
        self.measure(
            &format!("{op} forward"),
            desc.clone(),
            batch,
            len,
            8.0 * len,
            |p| activations::forward(gpu, p, act, &x, &y),
        )?;
        self.measure(
            &format!("{op} backward"),
            desc,
            batch,
            2.0 * len,
            12.0 * len,
            |p| activations::backward(gpu, p, act, &x, &dy, &y),
        )
    }

    fn batchnorm_case(&mut self, op: &str, batch: usize, shape: &[usize]) -> Result<()> {
        let gpu = self.gpu;
        let c = shape[shape.len() - 1];
        let x = self.random("x", shape)?;
        let dy = self.random("dy", shape)?;
        let y = self.zeros("y", shape)?;
        let dx = self.zeros("dx", shape)?;
        let gb = self.random("gb", &[2, c])?;
        let stats = self.zeros("stats", &[2, c])?;
        let running = self.zeros("running", &[2, c])?;
        let dgb = self.zeros("dgb", &[2, c])?;
        let len = x.len() as f64;
        let desc = format!("{shape:?}");
        self.measure(
            &format!("{op} forward"),
            desc.clone(),
            batch,
            7.0 * len,
            16.0 * len,
            |p| batchnorm::forward_train(gpu, p, &x, &gb, &stats, &running, true, &y),
        )?;
        self.measure(
            &format!("{op} backward"),
            desc,
            batch,
            12.0 * len,
            28.0 * len,
            |p| batchnorm::backward(gpu, p, &x, &stats, &gb, &dy, &dgb, &dx),
        )
    }
}

/// The FLOPs of one training step at batch `b`, counted from the layer
/// shapes (matrix products only: they are >99% of the arithmetic).
pub fn step_flops(shape: &ModelShape, b: usize) -> f64 {
    let (sh, sw) = shape.seed_hw();
    let seed_features = sh * sw * GEN_BASE_CHANNELS;
    let g1 = (b * sh * sw) as f64; // deconv1 input pixels
    let g2 = (b * 4 * sh * sw) as f64; // deconv2 input pixels
    let k2 = 25.0;
    let dense_g = 2.0 * (b * shape.latent * seed_features) as f64;
    let deconv1 = 2.0 * g1 * GEN_BASE_CHANNELS as f64 * k2 * GEN_MID_CHANNELS as f64;
    let deconv2 = 2.0 * g2 * GEN_MID_CHANNELS as f64 * k2;
    let gen_fwd = dense_g + deconv1 + deconv2;
    let ((h1, w1), (h2, w2)) = shape.disc_hw();
    let (c1, c2) = DISC_CHANNELS;
    let per_image_conv1 = 2.0 * (h1 * w1) as f64 * k2 * c1 as f64;
    let per_image_conv2 = 2.0 * (h2 * w2) as f64 * k2 * (c1 * c2) as f64;
    let per_image_dense = 2.0 * shape.disc_flat() as f64;
    let disc_fwd = |n: f64| n * (per_image_conv1 + per_image_conv2 + per_image_dense);
    let bf = b as f64;
    // D step: G forward, D forward on 2B, D backward on 2B (weights for all
    // layers, input gradients for conv2 and dense).
    let d_step = gen_fwd
        + disc_fwd(2.0 * bf)
        + 2.0 * bf * (2.0 * per_image_conv2 + per_image_conv1 + 2.0 * per_image_dense);
    // G step: G forward, D forward on B, D input gradients, G backward
    // (weights for every layer, input gradients for both deconvolutions).
    let g_step = gen_fwd
        + disc_fwd(bf)
        + bf * (per_image_conv2 + per_image_conv1 + per_image_dense)
        + dense_g
        + 2.0 * deconv1
        + 2.0 * deconv2;
    d_step + g_step
}

pub fn run(opts: &BenchOptions) -> Result<Report> {
    let gpu = Gpu::new(&opts.adapter)?;
    let mut bench = Bencher {
        gpu: &gpu,
        opts,
        results: Vec::new(),
        salt: 0,
        counter: gpu.zeros("bench counter", &[1])?,
    };
    let shape = ModelShape::new(100, opts.image_size, opts.image_size)?;
    let latent = shape.latent;
    let (sh, sw) = shape.seed_hw();
    let seed_features = sh * sw * GEN_BASE_CHANNELS;
    let flat = shape.disc_flat();
    if opts.image_size == 28 {
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
        let t1 = conv2d_transpose_geometry("gen deconv1", b, (sh, sw), &shape.gen_deconv1())?;
        bench.conv_case("gen deconv1", t1, GEN_BASE_CHANNELS, true)?;
        let t2 = conv2d_transpose_geometry("gen deconv2", b, (t1.h, t1.w), &shape.gen_deconv2())?;
        bench.conv_case("gen deconv2", t2, GEN_MID_CHANNELS, true)?;
        let c1 = conv2d_geometry(
            "disc conv1",
            d,
            (shape.height, shape.width),
            &shape.disc_conv1(),
        )?;
        bench.conv_case("disc conv1", c1, DISC_CHANNELS.0, false)?;
        let c2 = conv2d_geometry("disc conv2", d, (c1.oh, c1.ow), &shape.disc_conv2())?;
        bench.conv_case("disc conv2", c2, DISC_CHANNELS.1, false)?;
        bench.batchnorm_case("gen bn1", b, &[b, sh, sw, GEN_BASE_CHANNELS])?;
        bench.batchnorm_case("gen bn2", b, &[b, t1.h, t1.w, GEN_MID_CHANNELS])?;
        bench.elementwise(
            "selu",
            b,
            &[b, t1.h, t1.w, GEN_MID_CHANNELS],
            Activation::Selu,
        )?;
        bench.elementwise(
            "tanh",
            b,
            &[b, shape.height, shape.width, 1],
            Activation::Tanh,
        )?;
        bench.elementwise(
            "leaky_relu",
            d,
            &[d, c1.oh, c1.ow, DISC_CHANNELS.0],
            Activation::LeakyRelu(LEAKY_SLOPE),
        )?;
        dropout_case(&mut bench, d, &[d, c1.oh, c1.ow, DISC_CHANNELS.0])?;
        bce_case(&mut bench, d)?;
        let gen_params = crate::model::generator::Generator::specs(&shape)
            .iter()
            .map(|s| s.len())
            .sum();
        optim_case(
            &mut bench,
            "adam generator",
            b,
            gen_params,
            Optimizer::adam(2e-4),
        )?;
        optim_case(
            &mut bench,
            "rmsprop generator",
            b,
            gen_params,
            Optimizer::rmsprop(1e-3),
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

fn dropout_case(bench: &mut Bencher, batch: usize, shape: &[usize]) -> Result<()> {
    let gpu = bench.gpu;
    let x = bench.random("x", shape)?;
    let mask = bench.zeros("mask", shape)?;
    let y = bench.zeros("y", shape)?;
    let counter = bench.zeros("counter", &[1])?;
    let len = x.len() as f64;
    let rng = RngSource {
        seed: 1,
        salt: 2,
        counter: &counter,
    };
    bench.measure(
        "dropout forward",
        format!("{shape:?}"),
        batch,
        2.0 * len,
        12.0 * len,
        |p| dropout::forward(gpu, p, 0.3, rng, &x, &mask, &y),
    )?;
    bench.measure(
        "dropout backward",
        format!("{shape:?}"),
        batch,
        len,
        12.0 * len,
        |p| dropout::backward(gpu, p, &mask, &x, &y),
    )
}

fn bce_case(bench: &mut Bencher, n: usize) -> Result<()> {
    let gpu = bench.gpu;
    let z = bench.random("z", &[n, 1])?;
    let labels = bench.random("labels", &[n, 1])?;
    let grad = bench.zeros("grad", &[n, 1])?;
    let metrics = bench.zeros("metrics", &[loss::SLOT])?;
    bench.measure(
        "bce_with_logits",
        format!("[{n}]"),
        n,
        20.0 * n as f64,
        12.0 * n as f64,
        |p| loss::bce_with_logits(gpu, p, &z, &labels, &grad, &metrics, 0),
    )
}

fn optim_case(
    bench: &mut Bencher,
    op: &str,
    batch: usize,
    len: usize,
    opt: Optimizer,
) -> Result<()> {
    let gpu = bench.gpu;
    let param = bench.random("param", &[len])?;
    let grad = bench.random("grad", &[len])?;
    let state: Vec<Tensor> = (0..opt.state_count())
        .map(|_| bench.zeros("state", &[len]))
        .collect::<Result<_>>()?;
    let counter = bench.zeros("counter", &[1])?;
    let words = 2 + 2 * opt.state_count();
    bench.measure(
        op,
        format!("{len} parameters"),
        batch,
        10.0 * len as f64,
        4.0 * (words * len) as f64,
        |p| optim::step(gpu, p, &opt, &param, &grad, &state, &counter),
    )
}

/// Times whole training steps on synthetic data of the model's image size.
fn step_case(opts: &BenchOptions, shape: &ModelShape, b: usize) -> Result<StepResult> {
    let count = (4 * b).max(64);
    let pixels: Vec<u8> = (0..count * shape.pixels())
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let images = crate::data::Images {
        count,
        height: shape.height,
        width: shape.width,
        pixels,
    };
    let cfg = crate::train::TrainConfig {
        epochs: 1,
        batch_size: b,
        latent_dim: shape.latent,
        optimizer: Optimizer::adam(2e-4),
        seed: 1,
        data: Default::default(),
        limit: None,
        log_every: 1_000_000,
    };
    // The trainer owns its device; a second one on the same adapter keeps
    // the microbenchmarks' buffers out of its way.
    let mut t = crate::train::Trainer::new(Gpu::new(&opts.adapter)?, cfg, images)?;
    t.step()?;
    t.gpu.wait()?;
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

/// The report as a plain-text table.
pub fn format_report(r: &Report) -> String {
    let mut s = format!(
        "adapter: {} ({}, {}), driver: {}\n\n",
        r.adapter, r.backend, r.device_type, r.driver
    );
    s += &format!(
        "{:<32} {:>5} {:<28} {:>10} {:>10} {:>4} {:>11} {:>9} {:>8} {:>10}\n",
        "op", "batch", "shape", "MFLOP", "MB", "disp", "median µs", "GFLOP/s", "GB/s", "GF/cpu-s"
    );
    for o in &r.ops {
        s += &format!(
            "{:<32} {:>5} {:<28} {:>10.2} {:>10.2} {:>4} {:>11.1} {:>9.2} {:>8.2} {:>10}\n",
            o.op,
            o.batch,
            o.shape,
            o.flops / 1e6,
            o.bytes / 1e6,
            o.dispatches,
            o.median_us,
            o.gflops,
            o.gbytes_per_s,
            o.gflops_per_cpu_s
                .map(|v| format!("{v:.2}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    if !r.steps.is_empty() {
        s += &format!(
            "\n{:<6} {:>10} {:>10} {:>12} {:>12} {:>9} {:>10}\n",
            "batch", "ms/step", "images/s", "dispatches", "GFLOP/step", "GFLOP/s", "GF/cpu-s"
        );
        for t in &r.steps {
            s += &format!(
                "{:<6} {:>10.1} {:>10.1} {:>12} {:>12.2} {:>9.2} {:>10}\n",
                t.batch,
                t.ms_per_step,
                t.images_per_s,
                t.dispatches_per_step,
                t.flops_per_step / 1e9,
                t.gflops,
                t.gflops_per_cpu_s
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "-".into())
            );
        }
    }
    s
}
