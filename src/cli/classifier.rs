//! `gan-gpu classifier train`: trains the feature network of `eval` from a
//! seed and writes its weights with their SHA-256.

use super::train::default_data_dir;
use clap::Args;
use gan_gpu::data::{find_idx_file, read_images, read_labels, Images, Labels};
use gan_gpu::eval::classifier::{self, ClassifierConfig, Labelled};
use gan_gpu::gpu::{block_on, AdapterChoice, Gpu};
use gan_gpu::model::classifier::CLASSES;
use gan_gpu::train::checkpoint::write_atomically;
use gan_gpu::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ClassifierTrainArgs {
    /// Epochs over the 60,000 training images.
    #[arg(long, default_value_t = ClassifierConfig::default().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = ClassifierConfig::default().batch_size)]
    pub batch_size: usize,
    /// Adam's learning rate (β₁ 0.9, β₂ 0.999).
    #[arg(long, default_value_t = ClassifierConfig::default().lr)]
    pub lr: f32,
    #[arg(long, default_value_t = ClassifierConfig::default().seed)]
    pub seed: u64,
    /// Directory with train- and t10k- images and labels (IDX; default: the shipped Fashion-MNIST).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Train on the first N training images only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Start from these weights (with a fresh optimiser) instead of the seed's initialisation: a second stage at a lower --lr.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Move each training image by a random whole number of pixels, up to this many each way on each axis (data augmentation; 0: none).
    #[arg(long, default_value_t = ClassifierConfig::default().shift)]
    pub shift: u32,
    /// Where the weights go (safetensors).
    #[arg(long, default_value = "classifier.safetensors")]
    pub out: PathBuf,
}

/// The `split` ("train" or "t10k") images and labels of `dir`.
pub fn labelled_split(dir: &Path, split: &str) -> Result<(Images, Labels)> {
    let images = read_images(&find_idx_file(dir, &format!("{split}-images-idx3-ubyte"))?)?;
    let labels = read_labels(
        &find_idx_file(dir, &format!("{split}-labels-idx1-ubyte"))?,
        images.count,
        CLASSES,
    )?;
    Ok((images, labels))
}

pub fn train(args: &ClassifierTrainArgs, adapter: &AdapterChoice) -> Result<()> {
    let dir = args.data.clone().unwrap_or_else(default_data_dir);
    let (mut images, mut labels) = labelled_split(&dir, "train")?;
    if let Some(n) = args.limit {
        if n == 0 {
            return Err(Error::Config("--limit must be at least 1".into()));
        }
        images.truncate(n);
        labels.values.truncate(images.count);
    }
    let (test_images, test_labels) = labelled_split(&dir, "t10k")?;
    let cfg = ClassifierConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        seed: args.seed,
        init: args.init.clone(),
        shift: args.shift,
    };
    let init_sha256 = match &args.init {
        Some(p) => classifier::sha256_hex(&std::fs::read(p).map_err(gan_gpu::error::io_err(p))?),
        None => String::new(),
    };
    let gpu = block_on(Gpu::new(adapter))?;
    println!("adapter: {}", gpu.info.name);
    let start = std::time::Instant::now();
    let mut test_accuracy = 0.0;
    classifier::train(
        &gpu,
        &cfg,
        &Labelled {
            images: &images,
            labels: &labels,
        },
        &Labelled {
            images: &test_images,
            labels: &test_labels,
        },
        |r, net| {
            println!(
                "epoch {:>2}: train loss {:.4}, train accuracy {:.4}, test accuracy {:.4} ({:.0} s)",
                r.epoch, r.train_loss, r.train_accuracy, r.test_accuracy, r.seconds
            );
            test_accuracy = r.test_accuracy;
            // Written every epoch, so a run stopped early keeps its last one.
            let mut metadata = BTreeMap::from([
                ("epochs".to_string(), r.epoch.to_string()),
                ("batch_size".to_string(), cfg.batch_size.to_string()),
                ("lr".to_string(), cfg.lr.to_string()),
                ("seed".to_string(), cfg.seed.to_string()),
                ("train_images".to_string(), images.count.to_string()),
                (
                    "test_accuracy".to_string(),
                    format!("{:.4}", r.test_accuracy),
                ),
            ]);
            if cfg.shift > 0 {
                metadata.insert("shift".to_string(), cfg.shift.to_string());
            }
            if !init_sha256.is_empty() {
                metadata.insert("init_sha256".to_string(), init_sha256.clone());
            }
            let bytes = block_on(classifier::to_bytes(&gpu, net, metadata))?;
            write_atomically(&args.out, &bytes)?;
            println!(
                "  wrote {}, sha256 {}",
                args.out.display(),
                classifier::sha256_hex(&bytes)
            );
            Ok(())
        },
    )?;
    println!(
        "done: test accuracy {test_accuracy:.4} in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
