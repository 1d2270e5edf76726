//! `gan-gpu bench`'s report as a plain-text table.

use super::Report;

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
