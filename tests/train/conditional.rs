//! `--conditional`: the run, its checkpoint and resume, the generator's
//! class inputs, `sample --class`, `interpolate --from-class --to-class`,
//! the class names, and the errors.

use crate::common::*;
use gan_gpu::data::{class_index, Classes};
use gan_gpu::gpu::block_on;
use gan_gpu::model::classifier::FASHION_MNIST_CLASSES;
use gan_gpu::model::generator::Generator;
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint::{self, GeneratorWeights};
use gan_gpu::train::interpolate::walk_noise;
use gan_gpu::train::run;
use gan_gpu::train::sampler::{generate, ClassMix};
use gan_gpu::train::TrainConfig;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

fn conditional(batch: usize, limit: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        conditional: true,
        ..config(batch, Optimizer::rmsprop(1e-3), limit, epochs)
    }
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gan-gpu"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn png_size(path: &Path) -> (u32, u32) {
    image::image_dimensions(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Side of a grid of `n` tiles of 28 px at `scale`, with 2 px gaps.
fn side(n: u32, scale: u32) -> u32 {
    n * (28 * scale + 2) + 2
}

#[test]
fn class_names_are_recognised_and_looked_up() {
    let fashion = read_fashion_labels();
    assert_eq!(fashion.names, FASHION_MNIST_CLASSES.map(String::from));
    // Other labels, or Fashion-MNIST's labels cut short, are numbered.
    let mut cut = fashion.labels.clone();
    cut.truncate(100);
    let numbered = Classes::named(cut);
    assert_eq!(numbered.names.len(), 10);
    assert_eq!(numbered.names[3], "3");
    assert_eq!(Classes::named(vec![0, 2, 2]).names, ["0", "1", "2"]);
    let names = &fashion.names;
    for (query, want) in [
        ("sneaker", 7),
        ("Ankle boot", 9),
        ("ankle-boot", 9),
        ("T-shirt", 0),
        ("top", 0),
        ("tshirt/top", 0),
        ("8", 8),
    ] {
        assert_eq!(class_index(names, query).unwrap(), want, "{query}");
    }
    for query in ["boot", "10", "sock", ""] {
        let err = class_index(names, query).unwrap_err().to_string();
        assert!(
            err.contains("is not one of this model's 10 classes") && err.contains("Ankle boot"),
            "{query}: {err}"
        );
    }
}

fn read_fashion_labels() -> Classes {
    let labels =
        gan_gpu::data::read_labels(&data_dir().join("train-labels-idx1-ubyte.gz"), 60_000, 10)
            .unwrap();
    Classes::named(labels.values)
}

/// Two epochs straight through and one plus a resume leave the same
/// tensors; the checkpoint records the class count and names; `sample`
/// draws the chosen classes a row each; `interpolate` morphs between two.
#[test]
fn conditional_run_resumes_exactly_and_draws_chosen_classes() {
    let stop = AtomicBool::new(false);
    let whole = tempfile::tempdir().unwrap();
    let (_, t) = run::train(run_opts(conditional(8, 32, 2), whole.path(), None), &stop).unwrap();
    let straight = tensor_map(&t);
    drop(t);
    let split = tempfile::tempdir().unwrap();
    run::train(run_opts(conditional(8, 32, 1), split.path(), None), &stop).unwrap();
    let ckpt_path = split.path().join("checkpoint.safetensors");
    let (_, t) = run::train(
        run_opts(conditional(8, 32, 2), split.path(), Some(ckpt_path.clone())),
        &stop,
    )
    .unwrap();
    let resumed = tensor_map(&t);
    drop(t);
    assert_eq!(
        straight.keys().collect::<Vec<_>>(),
        resumed.keys().collect::<Vec<_>>()
    );
    for (name, v) in &straight {
        assert_eq!(&resumed[name], v, "{name} after resume");
    }
    assert_eq!(
        straight["generator/dense.class_kernel"].len(),
        10 * 7 * 7 * 128
    );
    assert_eq!(
        straight["discriminator/projection.class_rows"].len(),
        10 * 7 * 7 * 128
    );

    let ckpt = checkpoint::load(&ckpt_path).unwrap();
    assert_eq!(ckpt.shape.classes, 10);
    assert_eq!(ckpt.classes, FASHION_MNIST_CLASSES.map(String::from));
    // The epoch grid: one row of 8 per class.
    let grid = split.path().join("samples/epoch_002.png");
    assert_eq!(png_size(&grid), (side(8, 4), side(10, 4)));

    let out = tempfile::tempdir().unwrap();
    let ckpt_arg = ckpt_path.to_str().unwrap();
    let png = out.path().join("two.png");
    let o = cli(&[
        "sample",
        "--checkpoint",
        ckpt_arg,
        "--n",
        "6",
        "--class",
        "sneaker",
        "--class",
        "Ankle boot",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        png_size(&png),
        (side(3, 4), side(2, 4)),
        "a row of 3 per class"
    );
    let o = cli(&[
        "sample",
        "--checkpoint",
        ckpt_arg,
        "--n",
        "4",
        "--class",
        "7",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        png_size(&png),
        (side(2, 4), side(2, 4)),
        "one class: a square"
    );
    let o = cli(&[
        "sample",
        "--checkpoint",
        ckpt_arg,
        "--n",
        "20",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        png_size(&png),
        (side(2, 4), side(10, 4)),
        "every class, a row each"
    );
    let o = cli(&[
        "sample",
        "--checkpoint",
        ckpt_arg,
        "--class",
        "sock",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_of(&o)
            .contains("\"sock\" is not one of this model's 10 classes: T-shirt/top, Trouser"),
        "{}",
        stderr_of(&o)
    );

    let walk = out.path().join("walk.png");
    let o = cli(&[
        "interpolate",
        "--checkpoint",
        ckpt_arg,
        "--rows",
        "2",
        "--steps",
        "3",
        "--from-class",
        "trouser",
        "--to-class",
        "dress",
        "--out",
        walk.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(png_size(&walk), (side(3, 2), side(2, 2)));
    // Without a morph, each row walks the noise at one class.
    let gif = out.path().join("walk.gif");
    let o = cli(&[
        "interpolate",
        "--checkpoint",
        ckpt_arg,
        "--rows",
        "3",
        "--steps",
        "4",
        "--out",
        gif.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(gif_frames(&gif).0, 2 * 4 - 2);
    let o = cli(&[
        "interpolate",
        "--checkpoint",
        ckpt_arg,
        "--from-class",
        "trouser",
        "--out",
        walk.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "--from-class needs --to-class");
}

/// The generator's class input reaches every image: at fixed noise each
/// class draws a different image, and a morph's ends are its two classes
/// exactly.
#[test]
fn class_inputs_change_the_images_and_morphs_end_on_their_classes() {
    let dir = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(false);
    run::train(run_opts(conditional(8, 16, 1), dir.path(), None), &stop).unwrap();
    let path = dir.path().join("checkpoint.safetensors");
    let ckpt = checkpoint::load(&path).unwrap();
    let gpu = gpu();
    let gen = Generator::new(&gpu, ckpt.shape, 0).unwrap();
    ckpt.restore_generator(&path, &gpu, &gen, GeneratorWeights::Trained)
        .unwrap();
    let z = walk_noise(1, 1, 100, 3).repeat(10);
    let every: Vec<ClassMix> = (0..10).map(ClassMix::of).collect();
    let images = block_on(generate(&gpu, &gen, &z, &every)).unwrap();
    let px = 28 * 28;
    for a in 0..10 {
        for b in 0..a {
            assert_ne!(
                images[a * px..(a + 1) * px],
                images[b * px..(b + 1) * px],
                "classes {a} and {b}"
            );
        }
    }
    let z2 = walk_noise(1, 1, 100, 3).repeat(3);
    let morph: Vec<ClassMix> = [0.0, 0.5, 1.0]
        .map(|t| ClassMix { from: 1, to: 3, t })
        .to_vec();
    let m = block_on(generate(&gpu, &gen, &z2, &morph)).unwrap();
    assert_eq!(m[..px], images[px..2 * px], "t = 0 is the first class");
    assert_eq!(m[2 * px..], images[3 * px..4 * px], "t = 1 is the second");
    assert_ne!(m[px..2 * px], m[..px]);
    let err = block_on(generate(&gpu, &gen, &z2, &[ClassMix::of(10); 3]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("class 10 is not one of the generator's 10 classes"),
        "{err}"
    );
    let err = block_on(generate(&gpu, &gen, &z2, &[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs a class for every image"), "{err}");
}

/// A missing or short labels file, a resume onto other classes, and
/// classes asked of an unconditional checkpoint: each a clear error.
#[test]
fn conditional_errors_name_the_problem() {
    let stop = AtomicBool::new(false);
    let data = raw_data_dir(16);
    let out = tempfile::tempdir().unwrap();
    let cfg = TrainConfig {
        data: data.path().to_path_buf(),
        ..conditional(8, 16, 1)
    };
    let err = run::train(run_opts(cfg.clone(), &out.path().join("a"), None), &stop)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no train-labels-idx1-ubyte here")
            && err.contains("--conditional needs the training labels"),
        "{err}"
    );
    assert!(!out.path().join("a").exists(), "nothing written");

    let labels = |values: &[u8]| {
        let mut bytes = vec![0, 0, 8, 1];
        bytes.extend((values.len() as u32).to_be_bytes());
        bytes.extend(values);
        std::fs::write(data.path().join("train-labels-idx1-ubyte"), bytes).unwrap();
    };
    labels(&[1; 15]);
    let err = run::train(run_opts(cfg.clone(), &out.path().join("b"), None), &stop)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("15 labels for 16 images"), "{err}");

    // Trained on classes 0-2, resumed on labels with a fourth class.
    labels(&[0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    let run_dir = out.path().join("c");
    let (_, t) = run::train(run_opts(cfg.clone(), &run_dir, None), &stop).unwrap();
    assert_eq!(t.shape.classes, 3);
    drop(t);
    labels(&[0, 1, 2, 3, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    let resume = run_dir.join("checkpoint.safetensors");
    let err = run::train(
        run_opts(
            TrainConfig { epochs: 2, ..cfg },
            &run_dir,
            Some(resume.clone()),
        ),
        &stop,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("trained on the classes [0, 1, 2], but the data's labels give [0, 1, 2, 3]"),
        "{err}"
    );
    let o = cli(&[
        "sample",
        "--checkpoint",
        resume.to_str().unwrap(),
        "--class",
        "3",
        "--out",
        out.path().join("x.png").to_str().unwrap(),
    ]);
    assert!(
        stderr_of(&o).contains("\"3\" is not one of this model's 3 classes: 0, 1, 2"),
        "{}",
        stderr_of(&o)
    );

    let plain = out.path().join("plain");
    run::train(
        run_opts(config(8, Optimizer::adam(2e-4), 16, 1), &plain, None),
        &stop,
    )
    .unwrap();
    let plain_ckpt = plain.join("checkpoint.safetensors");
    let png = out.path().join("p.png");
    let o = cli(&[
        "sample",
        "--checkpoint",
        plain_ckpt.to_str().unwrap(),
        "--class",
        "sneaker",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(
        o.status.code() == Some(1)
            && stderr_of(&o).contains("is unconditional (trained without --conditional)"),
        "{}",
        stderr_of(&o)
    );
    let o = cli(&[
        "interpolate",
        "--checkpoint",
        plain_ckpt.to_str().unwrap(),
        "--from-class",
        "0",
        "--to-class",
        "1",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(
        o.status.code() == Some(1) && stderr_of(&o).contains("is unconditional"),
        "{}",
        stderr_of(&o)
    );
    assert!(!png.exists());
}

/// `bench --profile` sums the step by layer: every dispatch of the step
/// with every optional part on (classes, spectral normalisation, the
/// moving average) is named by the layer that recorded it.
#[test]
fn every_dispatch_of_the_fullest_step_names_its_layer() {
    use gan_gpu::train::{Trainer, TrainingSet};
    let cfg = TrainConfig {
        spectral_norm: true,
        ema: Some(0.999),
        ..conditional(2, 8, 1)
    };
    let mut classes = read_fashion_labels();
    classes.truncate(8);
    let data = TrainingSet {
        images: images(8),
        classes: Some(classes),
    };
    let mut t = Trainer::new(gpu(), cfg, data).unwrap();
    if t.gpu.timestamp_mode().is_none() {
        return;
    }
    let times = block_on(t.profile_step()).unwrap();
    let unnamed: Vec<&str> = times
        .iter()
        .filter(|d| d.layer.is_none())
        .map(|d| d.kernel.as_str())
        .collect();
    assert!(unnamed.is_empty(), "dispatches with no layer: {unnamed:?}");
    for layer in [
        "D spectral norm forward",
        "D spectral norm backward",
        "G moving average",
        "data",
    ] {
        let found = times.iter().any(|d| d.layer.as_deref() == Some(layer));
        assert!(found, "no dispatch of {layer}");
    }
}
