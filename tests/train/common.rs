//! Shared test machinery: the shipped data, configs, the adapter, and the
//! trainer's tensors by name.

use gan_gpu::data::{read_images, Images};
use gan_gpu::gpu::{block_on, AdapterChoice, Gpu};
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint::{self, trainer_tensors};
use gan_gpu::train::run::RunOptions;
use gan_gpu::train::{GanLoss, TrainConfig, Trainer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fashion-mnist")
}

pub fn images(n: usize) -> Images {
    static ALL: OnceLock<Images> = OnceLock::new();
    let mut im = ALL
        .get_or_init(|| read_images(&data_dir().join("train-images-idx3-ubyte.gz")).unwrap())
        .clone();
    im.truncate(n);
    im
}

pub fn config(batch: usize, optimizer: Optimizer, limit: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: batch,
        latent_dim: 100,
        optimizer,
        seed: 7,
        data: data_dir(),
        limit: Some(limit),
        log_every: 3,
        fake_batch_norm: Default::default(),
        label_smoothing: 0.0,
        disc_lr: None,
        loss: GanLoss::Bce,
        ema: None,
        spectral_norm: false,
        movie_every: None,
        conditional: false,
        image_size: None,
        channels: None,
    }
}

pub fn gpu() -> Gpu {
    block_on(Gpu::new(&AdapterChoice::default())).unwrap_or_else(|e| panic!("{e}"))
}

pub fn tensor_map(t: &Trainer) -> BTreeMap<String, Vec<f32>> {
    block_on(trainer_tensors(t))
        .unwrap()
        .into_iter()
        .map(|(n, _, v)| (n, v))
        .collect()
}

pub fn run_opts(cfg: TrainConfig, out: &Path, resume: Option<PathBuf>) -> RunOptions {
    let resume = resume.map(|p| {
        let c = checkpoint::load(&p).unwrap();
        (p, c)
    });
    RunOptions {
        cfg,
        out: out.to_path_buf(),
        resume,
        adapter: AdapterChoice::default(),
        show_progress: false,
        eval: None,
    }
}

/// The first `n` shipped images as a raw IDX file in a new directory.
pub fn raw_data_dir(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let im = images(n);
    let mut bytes = vec![0, 0, 8, 3];
    for d in [im.count, im.height, im.width] {
        bytes.extend((d as u32).to_be_bytes());
    }
    bytes.extend(&im.pixels);
    std::fs::write(dir.path().join("train-images-idx3-ubyte"), bytes).unwrap();
    dir
}

/// (frames, width, height) of a GIF.
pub fn gif_frames(path: &Path) -> (usize, u32, u32) {
    use image::AnimationDecoder;
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let frames = image::codecs::gif::GifDecoder::new(file)
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    let (w, h) = frames[0].buffer().dimensions();
    (frames.len(), w, h)
}

/// Asserts that a `gan-gpu` command succeeded, showing its stderr if not.
pub fn assert_succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
