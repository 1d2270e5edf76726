//! `gan-gpu bench --profile`: the real training step, with a GPU timestamp
//! around every dispatch of its recorded program, summed by kernel. On
//! lavapipe the timestamps read the CPU clock, which is what a dispatch
//! costs there; on adapters without timestamp queries the per-op bench
//! (CPU-timed) stands in.

use super::{bench_trainer, BenchOptions};
use crate::error::Result;
use crate::gpu::block_on;
use crate::gpu::profile::TimestampMode;
use std::collections::BTreeMap;
use std::time::Instant;

/// One kernel's share of a step.
#[derive(Clone, Debug)]
pub struct KernelTime {
    pub kernel: String,
    pub dispatches: usize,
    /// Mean GPU time per step, milliseconds.
    pub ms: f64,
}

/// The profile of `steps` training steps at batch `b`, as text; `None`
/// when the adapter has no timestamp queries.
pub fn profile(opts: &BenchOptions, b: usize, steps: usize) -> Result<Option<String>> {
    let shape = opts.shape()?;
    let mut t = bench_trainer(opts, &shape, b)?;
    let Some(mode) = t.gpu.timestamp_mode() else {
        return Ok(None);
    };
    let mut by_kernel: BTreeMap<String, (usize, f64)> = BTreeMap::new();
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
        }
    }
    let wall_ms = start.elapsed().as_secs_f64() * 1e3 / steps as f64;
    let mut rows: Vec<KernelTime> = by_kernel
        .into_iter()
        .map(|(kernel, (n, ns))| KernelTime {
            kernel,
            dispatches: n / steps,
            ms: ns / steps as f64 / 1e6,
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
    let mut s = format!(
        "profile of the training step at batch {b}, mean of {steps} steps on {}: {how}\n\
         {dispatches} dispatches; {total:.1} ms of GPU time per step, {wall_ms:.1} ms wall per step (readback included)\n\n\
         {:<40} {:>6} {:>10} {:>7}\n",
        t.gpu.info.name, "kernel", "calls", "ms/step", "share"
    );
    for r in &rows {
        s += &format!(
            "{:<40} {:>6} {:>10.2} {:>6.1}%\n",
            r.kernel,
            r.dispatches,
            r.ms,
            100.0 * r.ms / total.max(1e-12)
        );
    }
    Ok(Some(s))
}
