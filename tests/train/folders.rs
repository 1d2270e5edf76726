//! `--data FOLDER`: PNG/JPEG images searched recursively, centre-cropped
//! and resized, grey or RGB, class folders for `--conditional`; a run on
//! a synthetic RGB set; and every kind of bad folder.

use crate::common::*;
use gan_gpu::data::folder::{image_files, read_folder, FolderOptions};
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::{run, TrainConfig};
use image::{Rgb, RgbImage};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// A `w`×`h` image: a background of `bg` with a square of `fg` whose
/// corner and size depend on `k`.
fn shape_image(w: u32, h: u32, bg: [u8; 3], fg: [u8; 3], k: u32) -> RgbImage {
    let side = 4 + k % (w.min(h) / 2);
    let (x0, y0) = (k * 7 % (w - side), k * 5 % (h - side));
    RgbImage::from_fn(w, h, |x, y| {
        let inside = (x0..x0 + side).contains(&x) && (y0..y0 + side).contains(&y);
        Rgb(if inside { fg } else { bg })
    })
}

/// `n` coloured shapes per class folder ("red", "blue"), as PNG and JPEG
/// of mixed sizes, with a text file beside them.
fn synthetic_folder(dir: &Path, n: u32) {
    for (class, fg) in [("red", [220, 30, 30]), ("blue", [30, 60, 220])] {
        let sub = dir.join(class);
        std::fs::create_dir_all(&sub).unwrap();
        for k in 0..n {
            let (w, h) = if k % 2 == 0 { (40, 40) } else { (48, 36) };
            let img = shape_image(w, h, [240, 230, 200], fg, k);
            let ext = if k % 3 == 0 { "jpg" } else { "png" };
            img.save(sub.join(format!("{k:03}.{ext}"))).unwrap();
        }
    }
    std::fs::write(dir.join("notes.txt"), "not an image").unwrap();
    // A JPEG under a .png name: read by its bytes.
    let jpeg = dir.join("red/000.jpg");
    std::fs::copy(&jpeg, dir.join("red/zz-jpeg-named.png")).unwrap();
}

fn folder_config(data: &Path, batch: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        data: data.to_path_buf(),
        limit: None,
        image_size: Some(32),
        ..config(batch, Optimizer::rmsprop(1e-3), 0, epochs)
    }
}

#[test]
fn folders_load_grey_or_rgb_with_class_folders() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_folder(dir.path(), 6);
    let (files, others) = image_files(dir.path()).unwrap();
    assert_eq!((files.len(), others), (13, 1));
    let opts = FolderOptions {
        size: 32,
        channels: None,
    };
    let mut calls = 0;
    let (rgb, classes) = read_folder(dir.path(), opts, true, |_, _| calls += 1).unwrap();
    assert_eq!(calls, 13, "one progress call per image");
    assert_eq!(
        (rgb.count, rgb.height, rgb.width, rgb.channels),
        (13, 32, 32, 3)
    );
    assert_eq!(rgb.pixels.len(), 13 * 32 * 32 * 3);
    let classes = classes.unwrap();
    assert_eq!(classes.names, ["blue", "red"]);
    assert_eq!(classes.labels, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    // The background keeps its colour through the crop and resize: the
    // last pixel of blue/001.png (a PNG, its square far from that corner).
    let last = 2 * rgb.image_len() - 3;
    assert_eq!(rgb.pixels[last..last + 3], [240, 230, 200]);
    let grey = FolderOptions {
        size: 28,
        channels: Some(1),
    };
    let (g, none) = read_folder(dir.path(), grey, false, |_, _| {}).unwrap();
    assert!(none.is_none());
    assert_eq!(
        (g.height, g.channels, g.pixels.len()),
        (28, 1, 13 * 28 * 28)
    );

    // Grey and RGB mixed: RGB by default, the grey images as grey RGB.
    let mixed = tempfile::tempdir().unwrap();
    shape_image(30, 30, [10, 200, 10], [0, 0, 0], 1)
        .save(mixed.path().join("a.png"))
        .unwrap();
    image::GrayImage::from_pixel(30, 30, image::Luma([77]))
        .save(mixed.path().join("b.png"))
        .unwrap();
    let (m, _) = read_folder(mixed.path(), opts, false, |_, _| {}).unwrap();
    assert_eq!(m.channels, 3);
    assert_eq!(m.pixels[m.image_len()..m.image_len() + 3], [77, 77, 77]);
    // Grey only: grey by default.
    std::fs::remove_file(mixed.path().join("a.png")).unwrap();
    let (m, _) = read_folder(mixed.path(), opts, false, |_, _| {}).unwrap();
    assert_eq!(m.channels, 1);
}

#[test]
fn bad_folders_give_clear_errors() {
    let stop = AtomicBool::new(false);
    let out = tempfile::tempdir().unwrap();
    let err_of = |cfg: TrainConfig, name: &str| {
        let dir = out.path().join(name);
        let e = run::train(run_opts(cfg, &dir, None), &stop)
            .err()
            .unwrap_or_else(|| panic!("{name}: trained"))
            .to_string();
        assert!(!dir.exists(), "{name}: a refused run left its directory");
        e
    };
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("readme.md"), "hello").unwrap();
    let e = err_of(folder_config(empty.path(), 4, 1), "empty");
    assert!(
        e.contains("no PNG or JPEG images here") && e.contains("1 other files"),
        "{e}"
    );

    let corrupt = tempfile::tempdir().unwrap();
    synthetic_folder(corrupt.path(), 2);
    std::fs::write(
        corrupt.path().join("red/broken.png"),
        b"\x89PNG but not really",
    )
    .unwrap();
    let e = err_of(folder_config(corrupt.path(), 2, 1), "corrupt");
    assert!(
        e.contains("broken.png") && e.contains("is not a readable image"),
        "{e}"
    );

    let few = tempfile::tempdir().unwrap();
    synthetic_folder(few.path(), 2);
    let e = err_of(folder_config(few.path(), 6, 1), "few");
    assert!(e.contains("5 images are fewer than one batch of 6"), "{e}");

    let e = err_of(
        TrainConfig {
            image_size: Some(40),
            ..folder_config(few.path(), 2, 1)
        },
        "size",
    );
    assert!(
        e.contains("--image-size 40") && e.contains("[28, 32, 48, 64]"),
        "{e}"
    );
    let e = err_of(
        TrainConfig {
            channels: Some(2),
            ..folder_config(few.path(), 2, 1)
        },
        "channels",
    );
    assert!(e.contains("--channels 2"), "{e}");

    let loose = tempfile::tempdir().unwrap();
    synthetic_folder(loose.path(), 2);
    shape_image(32, 32, [0, 0, 0], [255, 255, 255], 3)
        .save(loose.path().join("stray.png"))
        .unwrap();
    let e = err_of(
        TrainConfig {
            conditional: true,
            ..folder_config(loose.path(), 2, 1)
        },
        "loose",
    );
    assert!(e.contains("stray.png") && e.contains("in none"), "{e}");

    let e = err_of(
        TrainConfig {
            image_size: Some(32),
            ..config(4, Optimizer::adam(2e-4), 8, 1)
        },
        "idx",
    );
    assert!(e.contains("apply to folders of images"), "{e}");
}

/// A conditional RGB run on a folder: its grids are RGB, a row per class;
/// it resumes exactly; `sample --class red` works by folder name.
#[test]
fn rgb_folder_trains_conditionally_and_resumes_exactly() {
    let data = tempfile::tempdir().unwrap();
    synthetic_folder(data.path(), 8);
    let stop = AtomicBool::new(false);
    let cfg = |epochs| TrainConfig {
        conditional: true,
        ..folder_config(data.path(), 4, epochs)
    };
    let whole = tempfile::tempdir().unwrap();
    let (_, t) = run::train(run_opts(cfg(2), whole.path(), None), &stop).unwrap();
    assert_eq!(
        (t.shape.channels, t.shape.classes, t.shape.height),
        (3, 2, 32)
    );
    let straight = tensor_map(&t);
    drop(t);
    let split = tempfile::tempdir().unwrap();
    run::train(run_opts(cfg(1), split.path(), None), &stop).unwrap();
    let ckpt = split.path().join("checkpoint.safetensors");
    let (_, t) = run::train(run_opts(cfg(2), split.path(), Some(ckpt.clone())), &stop).unwrap();
    for (name, v) in &tensor_map(&t) {
        assert_eq!(&straight[name], v, "{name} after resume");
    }
    drop(t);
    let grid = image::open(split.path().join("samples/epoch_002.png")).unwrap();
    assert_eq!(grid.color(), image::ColorType::Rgb8);
    let side = |n: u32| n * (32 * 4 + 2) + 2;
    assert_eq!((grid.width(), grid.height()), (side(8), side(2)));
    assert_eq!(
        image::open(split.path().join("real.png")).unwrap().color(),
        image::ColorType::Rgb8
    );
    let png = split.path().join("red.png");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gan-gpu"))
        .args([
            "sample",
            "--checkpoint",
            ckpt.to_str().unwrap(),
            "--class",
            "red",
            "--n",
            "4",
        ])
        .arg("--out")
        .arg(&png)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(image::image_dimensions(&png).unwrap(), (side(2), side(2)));
}
