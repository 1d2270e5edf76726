//! Bad data files and images the generator cannot produce: clear errors.

use crate::common::*;
use gan_gpu::data::{read_images, Images};
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::Trainer;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn idx_header(kind: u8, dims: &[u32]) -> Vec<u8> {
    let mut h = vec![0, 0, kind, dims.len() as u8];
    for d in dims {
        h.extend_from_slice(&d.to_be_bytes());
    }
    h
}

fn read_err(path: &Path) -> String {
    match read_images(path) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_data_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut good = idx_header(8, &[2, 4, 4]);
    good.extend(vec![7u8; 32]);
    let ok = read_images(&write(d, "ok", &good)).unwrap();
    assert_eq!((ok.count, ok.height, ok.width), (2, 4, 4));

    let e = read_err(&write(d, "magic", &[1, 2, 8, 3, 0, 0, 0, 1]));
    assert!(e.contains("magic") && e.contains("magic"), "{e}");
    let e = read_err(&write(d, "truncated", &good[..good.len() - 5]));
    assert!(
        e.contains("truncated") && e.contains("32 bytes") && e.contains("27"),
        "{e}"
    );
    let mut long = good.clone();
    long.push(0);
    assert!(read_err(&write(d, "long", &long)).contains("trailing"));
    let e = read_err(&write(d, "labels", &{
        let mut v = idx_header(8, &[3]);
        v.extend([1, 2, 3]);
        v
    }));
    assert!(
        e.contains("1 dimensions") && e.contains("3 (count, rows, columns)"),
        "{e}"
    );
    assert!(read_err(&write(d, "floats", &idx_header(0x0d, &[1, 1, 1]))).contains("0x0d"));
    assert!(read_err(&write(d, "empty", &idx_header(8, &[0, 28, 28]))).contains("no image"));
    assert!(read_err(&write(d, "tiny", &[0, 0])).contains("too short"));
    let e = read_err(&write(d, "header", &[0, 0, 8, 3, 0, 0]));
    assert!(e.contains("3 dimensions"), "{e}");
    let e = read_err(&write(d, "broken.gz", &[0x1f, 0x8b, 8, 0, 1, 2, 3]));
    assert!(e.contains("gzip"), "{e}");
    let e = read_err(&d.join("missing"));
    assert!(e.contains("missing") && e.contains("No such file"), "{e}");
    let e = gan_gpu::data::find_training_images(d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");
    let e = gan_gpu::data::find_training_images(&d.join("nope"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such data directory"), "{e}");
    // Every message names the file.
    assert!(read_err(&d.join("magic")).contains(&d.join("magic").display().to_string()));
}

#[test]
fn images_that_do_not_fit_the_generator_are_rejected() {
    let im = Images {
        count: 4,
        height: 30,
        width: 30,
        channels: 1,
        pixels: vec![0; 4 * 900],
    };
    let err = Trainer::new(gpu(), config(2, Optimizer::adam(2e-4), 4, 1), im)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("30x30") && err.contains("multiples of 4"),
        "{err}"
    );
    // Past 32 px a third block halves the size once more: multiples of 8.
    let mut im = images(4);
    (im.height, im.width, im.pixels) = (68, 68, vec![0; 4 * 68 * 68]);
    let err = Trainer::new(gpu(), config(2, Optimizer::adam(2e-4), 4, 1), im)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("68x68") && err.contains("3 times") && err.contains("multiples of 8"),
        "{err}"
    );
    let blocks: Vec<usize> = [28, 32, 48, 64, 96, 128]
        .map(gan_gpu::model::blocks_for)
        .to_vec();
    assert_eq!(blocks, [2, 2, 2, 3, 3, 4]);
    let err = Trainer::new(gpu(), config(8, Optimizer::adam(2e-4), 4, 1), images(4))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("fewer than one batch"), "{err}");
}
