//! `gan-gpu bench --profile`: the real training step, with a GPU timestamp
//! around every dispatch of its recorded program, summed by kernel and by
//! layer. On lavapipe the timestamps read the CPU clock, which is what a
//! dispatch costs there; on adapters without timestamp queries the per-op
//! bench (CPU-timed) stands in.

use super::{bench_trainer, BenchOptions};
use crate::error::Result;
use crate::gpu::profile::TimestampMode;
use crate::gpu::{block_on, Work};
use std::time::Instant;

/// A kernel's or a layer's share of a step.
#[derive(Clone, Debug, Default)]
pub struct Share {
    pub name: String,
    pub dispatches: usize,
    /// Mean GPU time per step, milliseconds.
    pub ms: f64,
    /// Matrix-product FLOPs and bytes bound per step (see `gpu::Work`).
    pub flops: f64,
    pub bytes: f64,
}

/// What a dispatch the recording named no layer of is summed under.
const NO_LAYER: &str = "(no layer)";

/// The profile of `steps` training steps at batch `b`, as text: by kernel,
/// slowest first, then by layer and pass, in the step's order. `None`
/// when the adapter has no timestamp queries.
pub fn profile(opts: &BenchOptions, b: usize, steps: usize) -> Result<Option<String>> {
    let shape = opts.shape()?;
    let mut t = bench_trainer(opts, &shape, b)?;
    let Some(mode) = t.gpu.timestamp_mode() else {
        return Ok(None);
    };
    let (mut by_kernel, mut by_layer) = (Vec::<Share>::new(), Vec::<Share>::new());
    let add = |rows: &mut Vec<Share>, name: &str, ns: f64, work: Work| {
        let i = match rows.iter().position(|r| r.name == name) {
            Some(i) => i,
            None => {
                rows.push(Share {
                    name: name.to_string(),
                    ..Default::default()
                });
                rows.len() - 1
            }
        };
        let r = &mut rows[i];
        r.dispatches += 1;
        r.ms += ns / 1e6;
        r.flops += work.flops;
        r.bytes += work.bytes;
    };
    let start = Instant::now();
    let steps = steps.max(1);
    let mut dispatches = 0;
    for _ in 0..steps {
        let times = block_on(t.profile_step())?;
        dispatches = times.len();
        for d in times {
            add(&mut by_kernel, &d.kernel, d.ns, d.work);
            let layer = d.layer.as_deref().unwrap_or(NO_LAYER);
            add(&mut by_layer, layer, d.ns, d.work);
        }
    }
    let wall_ms = start.elapsed().as_secs_f64() * 1e3 / steps as f64;
    for r in by_kernel.iter_mut().chain(by_layer.iter_mut()) {
        r.dispatches /= steps;
        r.ms /= steps as f64;
        r.flops /= steps as f64;
        r.bytes /= steps as f64;
    }
    by_kernel.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    let total: f64 = by_kernel.iter().map(|r| r.ms).sum();
    let how = match mode {
        TimestampMode::InsidePass => "timestamps around each dispatch inside the step's passes",
        TimestampMode::PassPerDispatch => {
            "one pass per dispatch, timed at its ends (adds a pass boundary to each dispatch)"
        }
    };
    let (copies, copy_bytes) = t.texel_copies_per_step();
    let copies = match copies {
        0 => String::new(),
        n => format!(
            " and {n} operand copies into textures ({:.1} MB, between the dispatches: untimed)",
            copy_bytes as f64 / 1e6
        ),
    };
    let mut s = format!(
        "profile of the training step at batch {b}, mean of {steps} steps on {}: {how}\n\
         {dispatches} dispatches{copies}; {total:.1} ms of GPU time per step, {wall_ms:.1} ms wall per step (readback included)\n\
         GFLOP/s counts the matrix products' FLOPs; GB/s the bytes of the tensors a kernel binds, each counted once\n\n",
        t.gpu.info.name
    );
    s += &table("kernel", &by_kernel, total);
    s += "\nby layer and pass, in the step's order (a layer met twice a step, as D's are, is summed)\n\n";
    s += &table("layer", &by_layer, total);
    Ok(Some(s))
}

/// One table: a row per share, with `total` ms as 100%.
fn table(what: &str, rows: &[Share], total: f64) -> String {
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0)
        .max(what.len());
    let mut s = format!(
        "{what:<width$} {:>6} {:>10} {:>7} {:>8} {:>7}\n",
        "calls", "ms/step", "share", "GFLOP/s", "GB/s"
    );
    for r in rows {
        let seconds = (r.ms / 1e3).max(1e-12);
        let gflops = match r.flops {
            0.0 => "-".to_string(),
            f => format!("{:.2}", f / seconds / 1e9),
        };
        s += &format!(
            "{:<width$} {:>6} {:>10.2} {:>6.1}% {:>8} {:>7.2}\n",
            r.name,
            r.dispatches,
            r.ms,
            100.0 * r.ms / total.max(1e-12),
            gflops,
            r.bytes / seconds / 1e9,
        );
    }
    s
}
