//! `gan-gpu bench --profile`: the real training step, with a GPU timestamp
//! around every dispatch of its recorded program, summed by kernel. On
//! lavapipe the timestamps read the CPU clock, which is what a dispatch
//! costs there; on adapters without timestamp queries the per-op bench
//! (CPU-timed) stands in.

use super::{bench_trainer, BenchOptions};
use crate::error::Result;
use crate::gpu::profile::TimestampMode;
use crate::gpu::{block_on, Work};
use std::collections::BTreeMap;
use std::time::Instant;

/// One kernel's share of a step.
#[derive(Clone, Debug)]
pub struct KernelTime {
    pub kernel: String,
    pub dispatches: usize,
    /// Mean GPU time per step, milliseconds.
    pub ms: f64,
    /// Matrix-product FLOPs and bytes bound per step (see `gpu::Work`).
    pub flops: f64,
    pub bytes: f64,
}

/// The profile of `steps` training steps at batch `b`, as text; `None`
/// when the adapter has no timestamp queries.
pub fn profile(opts: &BenchOptions, b: usize, steps: usize) -> Result<Option<String>> {
    let shape = opts.shape()?;
    let mut t = bench_trainer(opts, &shape, b)?;
    let Some(mode) = t.gpu.timestamp_mode() else {
        return Ok(None);
    };
    let mut by_kernel: BTreeMap<String, (usize, f64, Work)> = BTreeMap::new();
    let start = Instant::now();
    let steps = steps.max(1);
    let mut dispatches = 0;
    for _ in 0..steps {
        let times = block_on(t.profile_step())?;
        dispatches = times.len();
        for d in times {
            let e = by_kernel.entry(d.kernel).or_default();
            e.0 += 1;
            e.1 += d.ns;
            e.2.flops += d.work.flops;
            e.2.bytes += d.work.bytes;
        }
    }
    let wall_ms = start.elapsed().as_secs_f64() * 1e3 / steps as f64;
    let mut rows: Vec<KernelTime> = by_kernel
        .into_iter()
        .map(|(kernel, (n, ns, work))| KernelTime {
            kernel,
            dispatches: n / steps,
            ms: ns / steps as f64 / 1e6,
            flops: work.flops / steps as f64,
            bytes: work.bytes / steps as f64,
        })
        .collect();
    rows.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    let total: f64 = rows.iter().map(|r| r.ms).sum();
    let how = match mode {
        TimestampMode::InsidePass => "timestamps around each dispatch inside the step's one pass",
        TimestampMode::PassPerDispatch => {
            "one pass per dispatch, timed at its ends (adds a pass boundary to each dispatch)"
        }
    };
    let width = rows
        .iter()
        .map(|r| r.kernel.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut s = format!(
        "profile of the training step at batch {b}, mean of {steps} steps on {}: {how}\n\
         {dispatches} dispatches; {total:.1} ms of GPU time per step, {wall_ms:.1} ms wall per step (readback included)\n\
         GFLOP/s counts the matrix products' FLOPs; GB/s the bytes of the tensors a kernel binds, each counted once\n\n\
         {:<width$} {:>6} {:>10} {:>7} {:>8} {:>7}\n",
        t.gpu.info.name, "kernel", "calls", "ms/step", "share", "GFLOP/s", "GB/s"
    );
    for r in &rows {
        let seconds = (r.ms / 1e3).max(1e-12);
        let gflops = match r.flops {
            0.0 => "-".to_string(),
            f => format!("{:.2}", f / seconds / 1e9),
        };
        s += &format!(
            "{:<width$} {:>6} {:>10.2} {:>6.1}% {:>8} {:>7.2}\n",
            r.kernel,
            r.dispatches,
            r.ms,
            100.0 * r.ms / total.max(1e-12),
            gflops,
            r.bytes / seconds / 1e9,
        );
    }
    Ok(Some(s))
}
