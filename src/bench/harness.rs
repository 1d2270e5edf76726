//! The timing harness: CPU time, repeated programs, and the `Bencher` that
//! allocates an op's inputs and records its result.
//!
//! Each measurement submits a program that repeats the op's dispatches
//! `inner` times in one compute pass and waits, so the fixed cost of a
//! submit is spread over many dispatches; the median over `reps` such
//! submits is reported.

use super::{BenchOptions, OpResult};
use crate::error::Result;
use crate::gpu::{Gpu, Program, Tensor};
use crate::ops::counter::RngSource;
use crate::ops::random;
use std::time::Instant;

/// Process CPU time in seconds (user + system), where the OS tells it.
pub(super) fn cpu_seconds() -> Option<f64> {
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

pub(super) struct Bencher<'a> {
    pub gpu: &'a Gpu,
    pub opts: &'a BenchOptions,
    pub results: Vec<OpResult>,
    /// Salt of the next random input, and the counter the fills read.
    pub salt: u32,
    pub counter: Tensor,
}

impl Bencher<'_> {
    /// A tensor of U[-1, 1) inputs, drawn on the GPU by the project's own
    /// seeded fill.
    pub(super) fn random(&mut self, label: &str, shape: &[usize]) -> Result<Tensor> {
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

    pub(super) fn zeros(&self, label: &str, shape: &[usize]) -> Result<Tensor> {
        self.gpu.zeros(label, shape)
    }

    pub(super) fn wanted(&self, op: &str) -> bool {
        self.opts.ops.is_empty() || self.opts.ops.iter().any(|o| op.contains(o.as_str()))
    }

    /// Measures `record` (one execution of an op) repeated to fill a pass.
    pub(super) fn measure(
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

    /// Whether any of `ops` is selected by `--ops`.
    pub(super) fn wants_any(&self, ops: &[String]) -> bool {
        ops.iter().any(|op| self.wanted(op))
    }
}
