//! `gan-gpu eval`: the figures against closed forms and brute force, the
//! GPU's pairwise products against the CPU, the classifier's gradients
//! against the CPU reference, and the command's errors.
#![cfg(not(target_arch = "wasm32"))]

use gan_gpu::cpu;
use gan_gpu::eval::classifier::{self as weights, sha256_hex};
use gan_gpu::eval::metrics::{self, FeatureSet, Grams};
use gan_gpu::gpu::{block_on, AdapterChoice, Gpu, Program};
use gan_gpu::model::classifier::{Classifier, CLASSES};
use gan_gpu::model::{gpu_seed, salt};
use gan_gpu::ops::counter::{RngSource, StepCounter};
use gan_gpu::ops::loss::{self, SLOT};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| {
        block_on(Gpu::new(&AdapterChoice::default())).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// n points of N(mean, scale²) in `dim` dimensions.
fn gaussian(n: usize, dim: usize, mean: f32, scale: f32, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n * dim)
        .map(|_| {
            // Sum of 12 uniforms: mean 6, variance 1.
            let s: f32 = (0..12).map(|_| rng.random::<f32>()).sum();
            mean + scale * (s - 6.0)
        })
        .collect()
}

fn set(rows: &[f32], dim: usize) -> FeatureSet<'_> {
    FeatureSet { rows, dim }
}

#[test]
fn fid_in_one_dimension_is_the_closed_form() {
    let a = gaussian(400, 1, 0.0, 1.0, 1);
    let b = gaussian(300, 1, 0.7, 2.0, 2);
    let stats = |v: &[f32]| {
        let n = v.len() as f64;
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, var.sqrt())
    };
    let ((m1, s1), (m2, s2)) = (stats(&a), stats(&b));
    let want = (m1 - m2).powi(2) + (s1 - s2).powi(2);
    let got = metrics::fid(&set(&a, 1), &set(&b, 1));
    assert!((got - want).abs() < 1e-9 * want.max(1.0), "{got} vs {want}");
}

#[test]
fn fid_is_zero_for_one_set_and_blind_to_a_rotation() {
    let dim = 6;
    let a = gaussian(500, dim, 0.3, 1.0, 3);
    let b = gaussian(500, dim, -0.2, 0.5, 4);
    assert!(metrics::fid(&set(&a, dim), &set(&a, dim)).abs() < 1e-9);
    // Rotating both sets by the same orthogonal map (a reflection) keeps
    // every distance, so it keeps FID.
    let reflect = |v: &[f32]| -> Vec<f32> {
        v.chunks(dim)
            .flat_map(|r| {
                let dot: f32 = r.iter().sum::<f32>() / dim as f32;
                r.iter().map(move |x| x - 2.0 * dot).collect::<Vec<_>>()
            })
            .collect()
    };
    let before = metrics::fid(&set(&a, dim), &set(&b, dim));
    let after = metrics::fid(&set(&reflect(&a), dim), &set(&reflect(&b), dim));
    assert!(before > 1.0, "distinct sets give FID {before}");
    assert!(
        (before - after).abs() < 1e-4 * before,
        "{before} vs {after}"
    );
}

fn dots(a: &[f32], b: &[f32], dim: usize) -> Vec<f64> {
    a.chunks(dim)
        .flat_map(|x| {
            b.chunks(dim)
                .map(move |y| x.iter().zip(y).map(|(p, q)| *p as f64 * *q as f64).sum())
        })
        .collect()
}

#[test]
fn gram_on_the_gpu_matches_the_cpu_in_any_chunking() {
    let dim = 128;
    let a = gaussian(70, dim, 0.1, 1.0, 5);
    let b = gaussian(45, dim, -0.1, 1.0, 6);
    let want = dots(&a, &b, dim);
    for chunk in [1, 16, 70] {
        let got = block_on(metrics::gram_in_chunks(
            gpu(),
            &set(&a, dim),
            &set(&b, dim),
            chunk,
        ))
        .unwrap();
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (*g as f64 - w).abs() <= 1e-5 * scale,
                "chunk {chunk}, entry {i}: {g} vs {w}"
            );
        }
    }
}

fn grams(a: &[f32], b: &[f32], dim: usize) -> Grams {
    block_on(Grams::new(gpu(), &set(a, dim), &set(b, dim))).unwrap()
}

#[test]
fn kid_of_one_subset_is_the_unbiased_mmd() {
    let dim = 4;
    let a = gaussian(30, dim, 0.0, 1.0, 7);
    let b = gaussian(30, dim, 0.5, 1.0, 8);
    let k = |x: f64| (x / dim as f64 + 1.0).powi(3);
    let (aa, bb, ab) = (dots(&a, &a, dim), dots(&b, &b, dim), dots(&a, &b, dim));
    let n = 30usize;
    let off_diagonal = |g: &[f64]| -> f64 {
        (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| k(g[i * n + j]))
            .sum()
    };
    let nf = n as f64;
    let want = (off_diagonal(&aa) + off_diagonal(&bb)) / (nf * (nf - 1.0))
        - 2.0 * ab.iter().map(|&v| k(v)).sum::<f64>() / (nf * nf);
    let (got, _) = metrics::kid(&grams(&a, &b, dim), 1, 0);
    assert!(
        (got - want).abs() < 1e-4 * want.abs().max(1e-3),
        "{got} vs {want}"
    );
}

#[test]
fn kid_separates_a_shifted_set_from_a_resample() {
    let dim = 8;
    let a = gaussian(1000, dim, 0.0, 1.0, 9);
    let same = gaussian(1000, dim, 0.0, 1.0, 10);
    let shifted = gaussian(1000, dim, 0.5, 1.0, 11);
    let (k_same, se_same) = metrics::kid(&grams(&a, &same, dim), 10, 0);
    let (k_shift, se_shift) = metrics::kid(&grams(&a, &shifted, dim), 10, 0);
    assert!(
        k_same.abs() < 4.0 * se_same.max(1e-6),
        "resample: {k_same} ± {se_same}"
    );
    assert!(k_shift > 10.0 * se_shift, "shifted: {k_shift} ± {se_shift}");
}

#[test]
fn precision_and_recall_see_missing_and_extra_modes() {
    let dim = 2;
    let a = gaussian(200, dim, 0.0, 1.0, 12);
    assert_eq!(
        metrics::precision_recall(&grams(&a, &a, dim), 3),
        (1.0, 1.0)
    );
    // Half of the samples sit far from every reference point: precision
    // halves; the other half covers the reference, so recall stays high.
    let mut b = gaussian(100, dim, 0.0, 1.0, 13);
    b.extend(gaussian(100, dim, 50.0, 1.0, 14));
    let (precision, recall) = metrics::precision_recall(&grams(&a, &b, dim), 3);
    assert!((0.4..=0.5).contains(&precision), "precision {precision}");
    assert!(recall > 0.8, "recall {recall}");
    // Samples from one corner of the reference: precise, low recall.
    let c = gaussian(200, dim, 0.0, 0.05, 15);
    let (precision, recall) = metrics::precision_recall(&grams(&a, &c, dim), 3);
    assert!(precision > 0.9 && recall < 0.3, "{precision}, {recall}");
}

#[test]
fn coverage_counts_classes_over_the_share() {
    let classes = [0, 0, 0, 1, 1, 2, 9, 9, 9, 9];
    let h = metrics::class_histogram(&classes, CLASSES);
    assert_eq!(h, vec![3, 2, 1, 0, 0, 0, 0, 0, 0, 4]);
    assert_eq!(metrics::classes_covered(&h, 0.15), 3);
    assert_eq!(metrics::classes_covered(&h, 0.05), 4);
}

/// A conditional generator's agreement: per class, the share of the
/// samples drawn as it that the classifier puts in it; reported only for
/// Fashion-MNIST's classes, drawn in turn as the sampler draws them.
#[test]
fn class_agreement_is_per_class_drawn_as_it() {
    let intended = [0, 1, 2, 0, 1, 2, 0, 1];
    let predicted = [0, 1, 1, 5, 1, 2, 0, 0];
    let a = metrics::class_agreement(&predicted, &intended, 4);
    assert_eq!(a[..3], [2.0 / 3.0, 2.0 / 3.0, 0.5]);
    assert!(a[3].is_nan(), "no sample was drawn as class 3");
    let fashion: Vec<String> = gan_gpu::model::classifier::FASHION_MNIST_CLASSES
        .map(String::from)
        .to_vec();
    let drawn = gan_gpu::eval::drawn_classes(&fashion, 23).unwrap();
    assert_eq!(drawn[..12], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert_eq!(drawn.len(), 23);
    let numbered: Vec<String> = (0..10).map(|c| c.to_string()).collect();
    assert_eq!(gan_gpu::eval::drawn_classes(&numbered, 23), None);
    assert_eq!(gan_gpu::eval::drawn_classes(&[], 23), None);
}

/// The GPU classifier's gradients and loss at batch 4 against
/// `cpu::classifier`, from the same seeded weights and dropout stream.
#[test]
fn classifier_gradients_match_the_cpu_reference() {
    let gpu = gpu();
    let (h, w, n) = (12, 12, 4);
    let net = Classifier::new(gpu, (h, w), 0).unwrap();
    let counter = StepCounter {
        step: 3,
        batch_start: 0,
    }
    .upload(gpu, "counter")
    .unwrap();
    let seed = gpu_seed(11);
    let mut init = Program::new();
    net.params
        .record_init(gpu, &mut init, seed, &counter)
        .unwrap();
    gpu.run(&init).unwrap();
    // Biases start at zero; random ones exercise their gradients too.
    let p = &net.params;
    for (i, name) in ["conv1.bias", "conv2.bias", "dense1.bias", "dense2.bias"]
        .iter()
        .enumerate()
    {
        let len = p.value(name).len();
        let values: Vec<f32> = gaussian(len, 1, 0.0, 0.1, 20 + i as u64);
        p.upload(gpu, &p.values, name, &values).unwrap();
    }
    let x: Vec<f32> = gaussian(n * h * w, 1, 0.0, 0.6, 16)
        .iter()
        .map(|v| v.clamp(-1.0, 1.0))
        .collect();
    let labels = [3usize, 0, 9, 3];
    let xt = gpu.upload("x", &[n, h, w, 1], &x).unwrap();
    let lt = gpu
        .upload("labels", &[n], &labels.map(|l| l as f32))
        .unwrap();
    let metrics = gpu.zeros("metrics", &[SLOT]).unwrap();
    let ws = net.workspace(gpu, n, true).unwrap();
    let rng = RngSource {
        seed,
        salt: salt::CLASSIFIER_DROPOUT,
        counter: &counter,
    };
    let mut prog = Program::new();
    net.record_forward(gpu, &mut prog, &ws, &xt, Some(rng))
        .unwrap();
    let d_logits = net.d_logits(&ws).unwrap();
    loss::softmax_cross_entropy(gpu, &mut prog, &ws.logits, &lt, d_logits, &metrics, 0).unwrap();
    net.record_backward(gpu, &mut prog, &ws, &xt).unwrap();
    gpu.run(&prog).unwrap();

    let to64 = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
    let values: BTreeMap<String, Vec<f64>> = block_on(p.download(gpu, &p.values))
        .unwrap()
        .into_iter()
        .map(|(name, _, v)| (name, to64(&v)))
        .collect();
    let (loss, want) = cpu::classifier::gradients(
        &values,
        (h, w),
        &to64(&x),
        &labels,
        (seed, salt::CLASSIFIER_DROPOUT, 3),
    );
    let got_loss = block_on(gpu.download::<f32>(&metrics)).unwrap()[0] as f64;
    assert!(
        (got_loss - loss).abs() < 1e-4 * loss,
        "loss {got_loss} vs {loss}"
    );
    let grads: HashMap<String, Vec<f32>> = block_on(p.download(gpu, &p.grads))
        .unwrap()
        .into_iter()
        .map(|(name, _, v)| (name, v))
        .collect();
    for (name, w) in &want {
        let g = &grads[name];
        let rms = (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt();
        assert!(rms > 0.0, "{name}: the reference gradient is zero");
        for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
            let err = (*gv as f64 - wv).abs() / (wv.abs() + rms);
            assert!(err < 1e-3, "{name}[{i}]: {gv} vs {wv} (relative {err:.2e})");
        }
    }
}

#[test]
fn weights_round_trip_and_a_foreign_hash_is_refused() {
    let gpu = gpu();
    let net = Classifier::new(gpu, (8, 8), 0).unwrap();
    let counter = StepCounter::default().upload(gpu, "counter").unwrap();
    let mut init = Program::new();
    net.params.record_init(gpu, &mut init, 5, &counter).unwrap();
    gpu.run(&init).unwrap();
    let bytes = block_on(weights::to_bytes(gpu, &net, BTreeMap::new())).unwrap();
    let path = Path::new("test.safetensors");
    let back = weights::load(gpu, path, &bytes).unwrap();
    assert_eq!(back.hw, (8, 8));
    let p = &net.params;
    let q = &back.params;
    assert_eq!(
        block_on(gpu.download::<f32>(&p.values)).unwrap(),
        block_on(gpu.download::<f32>(&q.values)).unwrap()
    );
    let err = weights::load_pinned(gpu, path, &bytes)
        .err()
        .expect("a foreign hash is refused");
    let msg = err.to_string();
    assert!(
        msg.contains(&sha256_hex(&bytes)) && msg.contains("pinned"),
        "{msg}"
    );
    let err = weights::load(gpu, path, b"not weights").err().unwrap();
    assert!(err.to_string().contains("not a safetensors file"), "{err}");
}

#[test]
fn the_shipped_classifier_is_the_pinned_one() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/classifier/fashion-mnist.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(sha256_hex(&bytes), weights::PINNED_SHA256);
    weights::load_pinned(gpu(), &path, &bytes).unwrap();
}

/// An IDX file: type 0x08, `dims`, then `data`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

/// A data folder with the first `n` shipped test images and `train_n`
/// training images, with their labels.
fn small_data(dir: &Path, n: usize, train_n: usize) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fashion-mnist");
    for (split, count) in [("t10k", n), ("train", train_n)] {
        let images =
            gan_gpu::data::read_images(&shipped.join(format!("{split}-images-idx3-ubyte.gz")))
                .unwrap();
        let labels = gan_gpu::data::read_labels(
            &shipped.join(format!("{split}-labels-idx1-ubyte.gz")),
            images.count,
            CLASSES,
        )
        .unwrap();
        let write = |kind: &str, bytes: Vec<u8>| {
            std::fs::write(dir.join(format!("{split}-{kind}-ubyte")), bytes).unwrap()
        };
        write(
            "images-idx3",
            idx(&[count as u32, 28, 28], &images.pixels[..count * 784]),
        );
        write("labels-idx1", idx(&[count as u32], &labels.values[..count]));
    }
}

#[test]
fn labels_are_checked_against_their_images() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels");
    let read = |bytes: Vec<u8>, images| {
        std::fs::write(&path, bytes).unwrap();
        gan_gpu::data::read_labels(&path, images, CLASSES)
            .map(|l| l.values)
            .map_err(|e| e.to_string())
    };
    assert_eq!(read(idx(&[3], &[0, 9, 4]), 3), Ok(vec![0, 9, 4]));
    let err = read(idx(&[3], &[0, 9, 4]), 4).unwrap_err();
    assert!(err.contains("3 labels for 4 images"), "{err}");
    let err = read(idx(&[3], &[0, 10, 4]), 3).unwrap_err();
    assert!(err.contains("label 10 of image 1"), "{err}");
    let err = read(idx(&[3, 1], &[0, 1, 2]), 3).unwrap_err();
    assert!(err.contains("1 dimension"), "{err}");
    let err = read(idx(&[3], &[0, 1]), 3).unwrap_err();
    assert!(err.contains("ends inside the labels"), "{err}");
}

/// Every source through `evaluate` with an untrained classifier on a
/// 100-image test set: the report is whole and consistent, the test
/// features are cached, and a test-set reference beyond the set is refused.
#[test]
fn evaluate_runs_every_source() {
    use gan_gpu::eval::{evaluate_with, EvalOptions, Evaluator, Source};
    let gpu = gpu();
    let dir = tempfile::tempdir().unwrap();
    small_data(dir.path(), 100, 60);
    let net = Classifier::new(gpu, (28, 28), 0).unwrap();
    let counter = StepCounter::default().upload(gpu, "counter").unwrap();
    let mut init = Program::new();
    net.params.record_init(gpu, &mut init, 9, &counter).unwrap();
    gpu.run(&init).unwrap();
    let cache = dir.path().join("cache");
    let opts = |source, n| EvalOptions {
        source,
        n,
        seed: 1,
        data: dir.path().to_path_buf(),
        cache: Some(cache.clone()),
    };
    let hash = "0123456789abcdef0123";
    let evaluator = Evaluator::new(gpu, &net, hash, dir.path(), Some(&cache)).unwrap();
    let evaluate = |o: &EvalOptions| evaluate_with(gpu, &evaluator, o);
    let clean = evaluate(&opts(Source::Noisy(0.0), 100)).unwrap();
    assert!(
        std::fs::read_dir(&cache).unwrap().count() == 1,
        "the test features are cached"
    );
    // Another test set of the same size is cached apart, not mistaken for
    // this one.
    let other = tempfile::tempdir().unwrap();
    small_data(other.path(), 100, 100);
    std::fs::copy(
        other.path().join("train-images-idx3-ubyte"),
        other.path().join("t10k-images-idx3-ubyte"),
    )
    .unwrap();
    let shifted = Evaluator::new(gpu, &net, hash, other.path(), Some(&cache)).unwrap();
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 2);
    let r = evaluate_with(gpu, &shifted, &opts(Source::Noisy(0.0), 100)).unwrap();
    assert!(
        r.fid.abs() < 1e-6,
        "its own test set against itself: {}",
        r.fid
    );
    // The test set against itself: nothing to tell apart.
    assert!(clean.fid.abs() < 1e-6, "fid {}", clean.fid);
    assert_eq!((clean.precision, clean.recall), (1.0, 1.0));
    for source in [Source::Train, Source::Noisy(0.1), Source::Blurred(1.0)] {
        let r = evaluate(&opts(source.clone(), 40)).unwrap();
        assert_eq!((r.n, r.reference_n), (40, 100), "{source:?}");
        assert_eq!(r.class_histogram.iter().sum::<usize>(), 40);
        assert!(
            r.fid.is_finite() && r.fid > 0.0,
            "{source:?}: fid {}",
            r.fid
        );
        assert!(r.kid.is_finite() && r.kid_standard_error >= 0.0);
        assert!((0.0..=1.0).contains(&r.precision) && (0.0..=1.0).contains(&r.recall));
    }
    let err = evaluate(&opts(Source::Noisy(0.1), 101)).unwrap_err();
    assert!(
        err.to_string().contains("only the 100 test images"),
        "{err}"
    );
    let err = evaluate(&opts(Source::Train, 10)).unwrap_err();
    assert!(err.to_string().contains("at least 20"), "{err}");
}

#[test]
fn eval_command_refuses_foreign_weights_and_takes_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    small_data(dir.path(), 50, 64);
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let d = dir.path().to_str().unwrap();
    // A bad --eval-every is refused before the run writes anything.
    let refused = dir.path().join("refused");
    let out = std::process::Command::new(exe)
        .args([
            "train",
            "--data",
            d,
            "--limit",
            "32",
            "--eval-every",
            "0",
            "--out",
        ])
        .arg(&refused)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(1) && err.contains("--eval-every 0"),
        "{err}"
    );
    assert!(
        !refused.exists(),
        "a refused run left {}",
        refused.display()
    );
    let out = std::process::Command::new(exe)
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .args([
            "train",
            "--data",
            d,
            "--epochs",
            "2",
            "--batch-size",
            "16",
            "--limit",
            "32",
        ])
        .args(["--eval-every", "1", "--eval-n", "20", "--out"])
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --eval-every: one eval row per epoch in metrics.csv, and eval.png.
    let csv = std::fs::read_to_string(dir.path().join("run/metrics.csv")).unwrap();
    let evals = gan_gpu::train::output::read_csv_evals(&dir.path().join("run/metrics.csv"));
    assert_eq!(
        evals.iter().map(|r| r.epoch).collect::<Vec<_>>(),
        [0, 1],
        "{csv}"
    );
    assert!(evals.iter().all(|r| r.fid > 0.0 && r.classes_covered <= 10));
    let columns = gan_gpu::train::output::CSV_HEADER.split(',').count();
    assert!(
        csv.lines().all(|l| l.split(',').count() == columns),
        "{csv}"
    );
    assert!(dir.path().join("run/eval.png").is_file());
    let foreign = dir.path().join("foreign.safetensors");
    std::fs::write(&foreign, b"not the pinned weights").unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "eval",
            "--n",
            "20",
            "--data",
            d,
            "--classifier",
            foreign.to_str().unwrap(),
            "--checkpoint",
        ])
        .arg(dir.path().join("run/checkpoint.safetensors"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("foreign.safetensors") && err.contains("pinned"),
        "{err}"
    );
    let json = dir.path().join("eval.json");
    let out = std::process::Command::new(exe)
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .args([
            "eval",
            "--n",
            "20",
            "--data",
            d,
            "--json",
            json.to_str().unwrap(),
            "--checkpoint",
        ])
        .arg(dir.path().join("run/checkpoint.safetensors"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["n"], 20);
    assert_eq!(report["reference_n"], 50);
    assert!(report.get("class_agreement").is_none(), "unconditional");
    // The same noise (seed 0) and test set as the last --eval-every row.
    let fid = report["fid"].as_f64().unwrap();
    assert!(
        (fid - evals[1].fid).abs() <= 1e-3,
        "{fid} vs {}",
        evals[1].fid
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FID") && stdout.contains("Trouser"),
        "{stdout}"
    );
}

/// `classifier train` is a pure function of its seed and data: two runs
/// write the same bytes, and it learns (an untrained net is at chance).
#[test]
fn classifier_training_reproduces_from_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    small_data(dir.path(), 100, 512);
    let exe = env!("CARGO_BIN_EXE_gan-gpu");
    let train_with = |name: &str, extra: &[&str]| {
        let out = std::process::Command::new(exe)
            .args(["classifier", "train", "--batch-size", "64", "--seed", "3"])
            .args(extra)
            .args(["--data", dir.path().to_str().unwrap(), "--out"])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let train = |name: &str| train_with(name, &["--epochs", "2"]);
    let log = train("a.safetensors");
    train("b.safetensors");
    let a = std::fs::read(dir.path().join("a.safetensors")).unwrap();
    let b = std::fs::read(dir.path().join("b.safetensors")).unwrap();
    assert_eq!(sha256_hex(&a), sha256_hex(&b), "{log}");
    assert!(log.contains(&sha256_hex(&a)), "{log}");
    let last_accuracy = |log: &str| -> f64 {
        log.lines()
            .filter_map(|l| l.split("test accuracy ").nth(1))
            .filter_map(|v| v.split_whitespace().next()?.parse().ok())
            .next_back()
            .unwrap_or_else(|| panic!("no accuracy in {log}"))
    };
    let accuracy = last_accuracy(&log);
    assert!(
        accuracy > 0.4,
        "after 2 epochs on 512 images: {accuracy}\n{log}"
    );
    // --init starts from those weights: at a negligible rate the test
    // accuracy stays where it was, and the file names its parent.
    let a_path = dir.path().join("a.safetensors");
    let init = [
        "--epochs",
        "1",
        "--lr",
        "1e-12",
        "--init",
        a_path.to_str().unwrap(),
    ];
    let log = train_with("c.safetensors", &init);
    assert_eq!(last_accuracy(&log), accuracy, "{log}");
    let c = std::fs::read(dir.path().join("c.safetensors")).unwrap();
    let needle = format!("init_sha256\\\":\\\"{}", sha256_hex(&a));
    let header = String::from_utf8_lossy(&c[..4096.min(c.len())]).to_string();
    assert!(header.contains(&needle), "no {needle} in {header}");
    // --shift draws its shifts from the seed too: two runs agree with each
    // other, not with the unshifted run, and the file records it.
    let shifted = ["--epochs", "2", "--shift", "2"];
    train_with("s.safetensors", &shifted);
    train_with("t.safetensors", &shifted);
    let s = std::fs::read(dir.path().join("s.safetensors")).unwrap();
    let t = std::fs::read(dir.path().join("t.safetensors")).unwrap();
    assert_eq!(sha256_hex(&s), sha256_hex(&t), "--shift runs differ");
    assert_ne!(sha256_hex(&s), sha256_hex(&a), "--shift changed nothing");
    let header = String::from_utf8_lossy(&s[..4096.min(s.len())]).to_string();
    assert!(header.contains("shift\\\":\\\"2"), "no shift in {header}");
}
