//! `gan-gpu interpolate`: slerp, generation from given noise, and the
//! command's PNG strip, GIF and errors.

use crate::common::*;
use gan_gpu::gpu::block_on;
use gan_gpu::model::generator::Generator;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::interpolate::{slerp, walk_noise};
use gan_gpu::train::run;
use gan_gpu::train::sampler::generate;
use std::sync::atomic::AtomicBool;

fn norm(v: &[f32]) -> f64 {
    v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn slerp_follows_the_great_circle() {
    let (a, b) = ([1.0f32, 0.0, 0.0], [0.0f32, 2.0, 0.0]);
    assert_eq!(slerp(&a, &b, 0.0), a.to_vec());
    assert_eq!(slerp(&a, &b, 1.0), b.to_vec());
    // Halfway between orthogonal vectors: sin(π/4)/sin(π/2) of each.
    let mid = slerp(&a, &b, 0.5);
    let h = std::f32::consts::FRAC_1_SQRT_2;
    for (got, want) in mid.iter().zip([h, 2.0 * h, 0.0]) {
        assert!((got - want).abs() < 1e-6, "{mid:?}");
    }
    // Equal norms stay on the sphere all the way.
    let (c, d) = ([3.0f32, 4.0, 0.0], [0.0f32, -3.0, 4.0]);
    for k in 0..=10 {
        let p = slerp(&c, &d, k as f32 / 10.0);
        assert!((norm(&p) - 5.0).abs() < 1e-5, "t = {k}/10: {p:?}");
    }
    // Parallel vectors: the straight line, no NaN.
    assert_eq!(slerp(&a, &[2.0, 0.0, 0.0], 0.5), vec![1.5, 0.0, 0.0]);
}

#[test]
fn walks_are_seeded_and_generation_ignores_chunking() {
    let z = walk_noise(3, 5, 100, 9);
    assert_eq!(z.len(), 3 * 5 * 100);
    assert_eq!(z, walk_noise(3, 5, 100, 9));
    assert_ne!(z, walk_noise(3, 5, 100, 10));
    // A walk's end points are N(0, 1) draws: norm near √100.
    assert!((norm(&z[..100]) - 10.0).abs() < 3.0);
    let gpu = gpu();
    let gen = Generator::new(
        &gpu,
        gan_gpu::model::ModelShape::new(100, 28, 28).unwrap(),
        0,
    )
    .unwrap();
    let mut init = gan_gpu::gpu::Program::new();
    let counter = gan_gpu::ops::counter::StepCounter::default()
        .upload(&gpu, "counter")
        .unwrap();
    gen.params
        .record_init(&gpu, &mut init, 3, &counter)
        .unwrap();
    gpu.run(&init).unwrap();
    // 300 vectors take two passes of 256; the first 10 alone take one.
    let many: Vec<f32> = (0..300)
        .flat_map(|k| walk_noise(1, 2, 100, k)[..100].to_vec())
        .collect();
    let all = block_on(generate(&gpu, &gen, &many, &[])).unwrap();
    let few = block_on(generate(&gpu, &gen, &many[..1000], &[])).unwrap();
    assert_eq!(all.len(), 300 * 28 * 28);
    assert!(
        all[..few.len()] == few[..],
        "a pass's padding changed an image"
    );
    let err = block_on(generate(&gpu, &gen, &many[..150], &[])).unwrap_err();
    assert!(err.to_string().contains("150 noise values"), "{err}");
}

#[test]
fn interpolate_writes_a_strip_and_an_animation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run::train(
        run_opts(config(8, Optimizer::adam(2e-4), 16, 1), d, None),
        &AtomicBool::new(false),
    )
    .unwrap();
    let ckpt = d.join("checkpoint.safetensors");
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let walk = |extra: &[&str]| {
        std::process::Command::new(exe)
            .args(["interpolate", "--checkpoint", ckpt.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let walk_to = |rows: &str, out: &std::path::Path| {
        let done = walk(&[
            "--rows",
            rows,
            "--steps",
            "5",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_succeeded(&done);
    };
    let png = d.join("walk.png");
    walk_to("3", &png);
    // 5 columns and 3 rows of 28·2-pixel tiles with 2-pixel gaps.
    assert_eq!(
        image::image_dimensions(&png).unwrap(),
        (5 * 58 + 2, 3 * 58 + 2)
    );
    let gif = d.join("walk.gif");
    walk_to("4", &gif);
    // There (5 points) and back (3 between): 8 frames of a 2×2 grid at 4×.
    assert_eq!(gif_frames(&gif), (8, 2 * 114 + 2, 2 * 114 + 2));
    for (args, says) in [
        (
            vec!["--rows", "0"],
            "a walk needs at least one row and two steps",
        ),
        (
            vec!["--steps", "1"],
            "a walk needs at least one row and two steps",
        ),
        (
            vec!["--out", "walk.jpg"],
            "write a .png strip or a .gif animation",
        ),
        (vec!["--generator", "average"], "trained without --ema"),
    ] {
        let out = walk(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(1) && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
}
