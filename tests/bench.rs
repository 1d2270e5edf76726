//! The benchmark runs end to end on tiny shapes, so it cannot rot. This
//! checks what it reports, not how fast anything is.
// Native only: the benchmarks time with the system clock.
#![cfg(not(target_arch = "wasm32"))]

use gan_gpu::bench::{format_report, run, step_flops, BenchOptions};
use gan_gpu::gpu::AdapterChoice;
use gan_gpu::model::ModelShape;

/// Batch 2 of 8×8 images, one repetition: fast, and every code path runs.
fn tiny(ops: &[&str]) -> BenchOptions {
    BenchOptions {
        batch_sizes: vec![2],
        ops: ops.iter().map(|o| o.to_string()).collect(),
        reps: 1,
        train_steps: 1,
        adapter: AdapterChoice::default(),
        image_size: 8,
        channels: 1,
    }
}

#[test]
fn bench_runs_on_tiny_shapes_and_reports_every_op() {
    let opts = tiny(&[]);
    let report = run(&opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.adapter.is_empty());
    for needle in [
        "gen deconv1 forward",
        "disc conv2 backward-input",
        "disc conv2 backward-weights",
        "gen bn1 backward",
        "bce_with_logits",
        "adam generator",
    ] {
        assert!(
            report.ops.iter().any(|o| o.op == needle),
            "{needle} missing"
        );
    }
    for o in &report.ops {
        // The im2col/col2im rows measure data movement alone: no FLOPs.
        let moves_data_only = o.op.ends_with(" alone");
        assert!(
            o.median_us > 0.0 && o.gflops.is_finite() && o.bytes > 0.0 && o.dispatches > 0,
            "{o:?}"
        );
        assert!(o.flops > 0.0 || moves_data_only, "{o:?}");
    }
    assert_eq!(report.steps.len(), 1);
    let s = &report.steps[0];
    // A whole step: every layer's forward and backward passes (46
    // dispatches at this size with the subgroup kernels, more without).
    assert!(s.ms_per_step > 0.0 && s.dispatches_per_step >= 40, "{s:?}");
    let table = format_report(&report);
    assert!(table.contains("ms/step") && table.contains(&report.adapter));
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["ops"].as_array().unwrap().len() == report.ops.len());
}

#[test]
fn filter_runs_only_named_ops() {
    let opts = tiny(&["tanh"]);
    let report = run(&opts).unwrap();
    assert!(!report.ops.is_empty() && report.ops.iter().all(|o| o.op.contains("tanh")));
    assert!(report.steps.is_empty());
}

/// The step's FLOP count at the seed's shapes, worked by hand for batch 1:
/// G forward = dense 2·100·6272 + deconv1 2·49·128·25·64 + deconv2 2·196·64·25
/// = 1,254,400 + 20,070,400 + 627,200 = 21,952,000; D forward per image =
/// conv1 2·196·25·64 + conv2 2·49·25·64·128 + dense 2·6272 = 627,200 +
/// 20,070,400 + 12,544 = 20,710,144. D step = G fwd + 2 D fwd + 2·(2·conv2 +
/// conv1 + 2·dense) = 21,952,000 + 41,420,288 + 81,586,176 = 144,958,464.
/// G step = G fwd + D fwd + (conv2 + conv1 + dense) + G backward (dense +
/// 2·deconv1 + 2·deconv2) = 21,952,000 + 20,710,144 + 20,710,144 +
/// 42,649,600 = 106,021,888.
#[test]
fn step_flops_follow_the_layer_shapes() {
    let shape = ModelShape::new(100, 28, 28).unwrap();
    assert_eq!(step_flops(&shape, 1), 144_958_464.0 + 106_021_888.0);
    assert_eq!(step_flops(&shape, 64), 64.0 * step_flops(&shape, 1));
}

/// `bench --against` runs both binaries' step benchmark alternately and
/// reports the ratio; against itself it must report a number near 1.
#[test]
fn against_compares_two_binaries() {
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let out = std::process::Command::new(exe)
        .args(["bench", "--against", exe, "--batch-sizes", "2"])
        .args(["--rounds", "1", "--train-steps", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = stdout.lines().find(|l| l.starts_with("2 ")).unwrap();
    let ratio: f64 = row
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('×')
        .parse()
        .unwrap();
    assert!(ratio > 0.0 && ratio.is_finite(), "{row}");
}

/// `bench --profile` times every dispatch of the step: each kernel row has
/// a time, the calls add up to the step's dispatches by kernel and by
/// layer, every dispatch has a layer, and the matrix products (only they)
/// have a GFLOP/s.
#[test]
fn profile_times_every_dispatch_of_the_step() {
    let opts = tiny(&[]);
    let Some(table) = gan_gpu::bench::profile::profile(&opts, 2, 2).unwrap() else {
        let gpu =
            gan_gpu::gpu::block_on(gan_gpu::gpu::Gpu::new(&AdapterChoice::default())).unwrap();
        assert!(
            gpu.timestamp_mode().is_none(),
            "timestamps exist but no profile"
        );
        return;
    };
    let dispatches: usize = table
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    // Two tables, each a header line then its rows up to a blank line.
    let tables: Vec<Vec<&str>> = ["kernel ", "layer "]
        .iter()
        .map(|head| {
            let lines = table.lines().skip_while(|l| !l.starts_with(head));
            lines.skip(1).take_while(|l| !l.is_empty()).collect()
        })
        .collect();
    let calls = |row: &str| -> usize {
        let cols: Vec<&str> = row.split_whitespace().collect();
        cols[cols.len() - 5].parse().unwrap()
    };
    for rows in &tables {
        let sum: usize = rows.iter().map(|r| calls(r)).sum();
        assert_eq!(sum, dispatches, "{table}");
    }
    let (kernels, layers) = (&tables[0], &tables[1]);
    assert!(kernels.iter().any(|r| r.contains("optim::adam")), "{table}");
    for r in kernels {
        let gflops = r.split_whitespace().nth(4).unwrap();
        let product = r.starts_with("matmul") || r.starts_with("conv_implicit");
        assert_eq!(gflops != "-", product, "{r}\n{table}");
    }
    for layer in ["G deconv1 forward", "D conv2 backward", "G optimizer"] {
        assert!(
            layers.iter().any(|r| r.starts_with(layer)),
            "{layer}\n{table}"
        );
    }
    assert!(!table.contains("(no layer)"), "{table}");
}
