//! The command line: resume flags and `info` (bad input: `robustness.rs`).

use crate::common::*;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::run::{self};
use std::sync::atomic::AtomicBool;

/// `--resume` continues with the checkpoint's settings; a flag that
/// contradicts them is refused (the run could not continue exactly), and
/// `info` lists the adapter.
#[test]
fn cli_resume_refuses_contradicting_flags() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(8, Optimizer::adam(2e-4), 16, 1);
    run::train(run_opts(cfg, dir.path(), None), &AtomicBool::new(false)).unwrap();
    let ckpt = dir.path().join("checkpoint.safetensors");
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let ckpt_arg = ckpt.to_str().unwrap();
    for (flag, value) in [
        ("--batch-size", "16"),
        ("--seed", "8"),
        ("--latent-dim", "64"),
        ("--optimizer", "rmsprop"),
        ("--fake-batch-norm", "running"),
        ("--label-smoothing", "0.1"),
        ("--lr-d", "4e-4"),
        ("--recipe", "seed"),
        ("--loss", "hinge"),
        ("--ema", "0.999"),
        ("--spectral-norm", ""),
        ("--conditional", ""),
    ] {
        let out = std::process::Command::new(exe)
            .args(["train", "--resume", ckpt_arg, flag])
            .args((!value.is_empty()).then_some(value))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains("contradicts the checkpoint"),
            "{flag}: {stderr}"
        );
    }
    // Already at its 1 epoch: resuming with the same settings has nothing left to do.
    let out = std::process::Command::new(exe)
        .args(["train", "--resume", ckpt_arg, "--epochs", "1"])
        .output()
        .unwrap();
    assert_succeeded(&out);
    let info = std::process::Command::new(exe)
        .arg("info")
        .output()
        .unwrap();
    assert!(info.status.success());
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.contains("adapters:")
            && text.contains("chosen:")
            && text.contains("max_storage_buffer_binding_size"),
        "{text}"
    );
}

/// `train --help` states every default, and states the values the code
/// uses (`train::defaults`), so the text cannot drift from them.
#[test]
fn help_states_the_defaults_the_code_uses() {
    use gan_gpu::train::defaults;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gan-gpu"))
        .args(["train", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for want in [
        format!("[default: {}", defaults::EPOCHS),
        format!("[default: {}]", defaults::BATCH_SIZE),
        format!("[default: {}]", defaults::LATENT_DIM),
        format!("[default: {}]", defaults::SEED),
        format!("[default: {}", defaults::LOG_EVERY),
        format!("{:e} for Adam", defaults::ADAM_LR),
        format!("{:e} for RMSprop", defaults::RMSPROP_LR),
    ] {
        assert!(help.contains(&want), "--help lacks '{want}':\n{help}");
    }
}

/// `--recipe seed` is the course project's recipe, recorded in the run's
/// config; it takes no flag it sets itself, and its checkpoint resumes with
/// it; `--recipe conditional` is recorded the same way.
#[test]
fn seed_recipe_is_the_seed_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let out = std::process::Command::new(exe)
        .args(["train", "--recipe", "seed", "--optimizer", "adam"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses the mix");
    for (flag, value, says) in [
        ("--label-smoothing", "1", "must be in [0, 1)"),
        ("--lr-d=-1", "", "--lr-d: learning rate -1"),
    ] {
        let out = std::process::Command::new(exe)
            .args(["train", flag])
            .args((!value.is_empty()).then_some(value))
            .arg("--out")
            .arg(dir.path().join("refused"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(1) && stderr.contains(says),
            "{flag}: {stderr}"
        );
    }
    let run = dir.path().join("run");
    let train = |extra: &[&str]| {
        std::process::Command::new(exe)
            .args(["train", "--limit", "32", "--epochs", "1"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = train(&["--recipe", "seed", "--out", run.to_str().unwrap()]);
    assert_succeeded(&out);
    let config_of = |dir: &std::path::Path| -> gan_gpu::train::TrainConfig {
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap()
    };
    let cfg = config_of(&run);
    assert_eq!(cfg.optimizer, Optimizer::rmsprop(1e-3));
    assert_eq!((cfg.batch_size, cfg.latent_dim), (32, 100));
    assert_eq!(cfg.fake_batch_norm, gan_gpu::train::FakeBatchNorm::Running);
    // The seed's recipe is the default (chosen by the README's table), and
    // the earlier default stays available as `--recipe dcgan`.
    let plain = dir.path().join("plain");
    assert!(train(&["--out", plain.to_str().unwrap()]).status.success());
    assert_eq!(config_of(&plain), cfg);
    let dcgan = dir.path().join("dcgan");
    assert!(
        train(&["--recipe", "dcgan", "--out", dcgan.to_str().unwrap()])
            .status
            .success()
    );
    let d = config_of(&dcgan);
    assert_eq!(d.optimizer, Optimizer::adam(2e-4));
    assert_eq!(d.fake_batch_norm, gan_gpu::train::FakeBatchNorm::Batch);
    // `--recipe conditional` is the seed's optimiser with the classes, the
    // fake batch's own statistics and a moving average (README's tables).
    let conditional = dir.path().join("conditional");
    let out = train(&[
        "--recipe",
        "conditional",
        "--out",
        conditional.to_str().unwrap(),
    ]);
    assert_succeeded(&out);
    let c = config_of(&conditional);
    assert_eq!(c.optimizer, Optimizer::rmsprop(1e-3));
    assert_eq!((c.batch_size, c.latent_dim), (32, 100));
    assert_eq!(c.fake_batch_norm, gan_gpu::train::FakeBatchNorm::Batch);
    assert_eq!((c.ema, c.conditional), (Some(0.999), true));
    let faster = dir.path().join("faster");
    assert!(train(&[
        "--recipe",
        "conditional",
        "--ema",
        "0.99",
        "--out",
        faster.to_str().unwrap()
    ])
    .status
    .success());
    assert_eq!(config_of(&faster).ema, Some(0.99), "an --ema given stays");
    let ckpt = run.join("checkpoint.safetensors");
    let out = std::process::Command::new(exe)
        .args([
            "train",
            "--recipe",
            "seed",
            "--epochs",
            "1",
            "--resume",
            ckpt.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_succeeded(&out);
}

/// `--loss hinge`, `--ema` and `--spectral-norm`: refused where they make
/// no sense; a run with all three resumes bit-exactly, the average and the
/// power-iteration vectors included; `sample` draws from the average by
/// default and from the trained weights on request, and a checkpoint
/// without an average says so.
#[test]
fn hinge_ema_spectral_norm_runs_resume_exactly_and_sample_either_generator() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let gan = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let at = |name: &str| d.join(name).to_str().unwrap().to_string();
    for (args, says) in [
        (
            vec!["--loss", "hinge", "--label-smoothing", "0.1"],
            "has no meaning for --loss hinge",
        ),
        (vec!["--ema", "1"], "--ema 1 must be in [0, 1)"),
        (
            vec!["--movie-every", "0"],
            "--movie-every must be at least 1",
        ),
    ] {
        let (code, stderr) = gan(&[&["train", "--out", &at("refused")], &args[..]].concat());
        assert!(
            code == Some(1) && stderr.contains(says),
            "{args:?}: {stderr}"
        );
    }
    let base = ["train", "--limit", "32", "--batch-size", "8"];
    let recipe = ["--loss", "hinge", "--ema", "0.9", "--spectral-norm"];
    let ok = |args: &[&str]| {
        let (code, stderr) = gan(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    };
    ok(&[
        &base[..],
        &recipe,
        &["--epochs", "2", "--out", &at("whole")],
    ]
    .concat());
    ok(&[
        &base[..],
        &recipe,
        &["--epochs", "1", "--out", &at("split")],
    ]
    .concat());
    let split = at("split/checkpoint.safetensors");
    ok(&["train", "--resume", &split, "--epochs", "2"]);
    let tensors = |path: &str| {
        let bytes = std::fs::read(path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut all: Vec<(String, Vec<u8>)> = st
            .tensors()
            .into_iter()
            .map(|(n, v)| (n, v.data().to_vec()))
            .collect();
        all.sort();
        all
    };
    let whole = tensors(&at("whole/checkpoint.safetensors"));
    for name in ["generator_ema/dense.kernel", "discriminator/conv2.sn_u"] {
        assert!(whole.iter().any(|(n, _)| n == name), "{name}");
    }
    assert!(
        whole == tensors(&split),
        "resumed run differs from the whole one"
    );
    let cfg: gan_gpu::train::TrainConfig =
        serde_json::from_slice(&std::fs::read(d.join("whole/config.json")).unwrap()).unwrap();
    assert_eq!(
        (cfg.loss, cfg.ema, cfg.spectral_norm),
        (gan_gpu::train::GanLoss::Hinge, Some(0.9), true)
    );

    let ckpt = at("whole/checkpoint.safetensors");
    let grid = |which: &[&str], name: &str| {
        ok(&[
            &[
                "sample",
                "--checkpoint",
                &ckpt,
                "--n",
                "4",
                "--out",
                &at(name),
            ],
            which,
        ]
        .concat());
        std::fs::read(d.join(name)).unwrap()
    };
    let default = grid(&[], "default.png");
    assert_eq!(default, grid(&["--generator", "average"], "average.png"));
    assert_ne!(default, grid(&["--generator", "trained"], "trained.png"));

    ok(&[&base[..], &["--epochs", "1", "--out", &at("plain")]].concat());
    let (code, stderr) = gan(&[
        "sample",
        "--checkpoint",
        &at("plain/checkpoint.safetensors"),
        "--generator",
        "average",
        "--out",
        &at("refused.png"),
    ]);
    assert!(
        code == Some(1) && stderr.contains("trained without --ema"),
        "{stderr}"
    );
}
