//! `gan-gpu eval`: a checkpoint's samples (or a reference set) against the
//! test set, in the pinned classifier's feature space.

use super::train::{default_data_dir, shipped_asset, GeneratorArg};
use clap::{Args, ValueEnum};
use gan_gpu::error::io_err;
use gan_gpu::eval::{self, EvalOptions, Source};
use gan_gpu::gpu::{block_on, AdapterChoice, Gpu};
use gan_gpu::{Error, Result};
use std::path::PathBuf;

/// The shipped classifier weights, pinned by `classifier::PINNED_SHA256`.
pub const SHIPPED_CLASSIFIER: &str = "assets/classifier/fashion-mnist.safetensors";

#[derive(Clone, Copy, ValueEnum)]
pub enum Reference {
    /// Training images: the floor a perfect generator would reach.
    Train,
    /// Test images with N(0, 0.1²) noise added (in [-1, 1] units).
    Noisy,
    /// Test images blurred by a Gaussian of σ = 1 pixel.
    Blurred,
}

#[derive(Args)]
pub struct EvalArgs {
    /// A checkpoint written by `gan-gpu train`.
    #[arg(
        long,
        required_unless_present = "reference",
        conflicts_with = "reference"
    )]
    pub checkpoint: Option<PathBuf>,
    /// Which of the checkpoint's generators [default: the moving average where it has one].
    #[arg(long, value_enum, requires = "checkpoint")]
    pub generator: Option<GeneratorArg>,
    /// Instead of a checkpoint, measure a reference set (what the numbers mean).
    #[arg(long, value_enum)]
    pub reference: Option<Reference>,
    /// Images to generate and compare with the 10,000 test images.
    #[arg(long, default_value_t = 10_000)]
    pub n: usize,
    /// Seed of the noise (and of the KID subsets).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Classifier weights (default: the shipped ones); their SHA-256 must be the pinned one.
    #[arg(long)]
    pub classifier: Option<PathBuf>,
    /// Directory with the t10k- test images (default: the shipped Fashion-MNIST).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

pub fn eval(args: &EvalArgs, adapter: &AdapterChoice) -> Result<()> {
    let source = match (&args.checkpoint, args.reference) {
        (Some(c), _) => Source::Checkpoint(c.clone(), args.generator.map(GeneratorArg::build)),
        (None, Some(Reference::Train)) => Source::Train,
        (None, Some(Reference::Noisy)) => Source::Noisy(0.1),
        (None, Some(Reference::Blurred)) => Source::Blurred(1.0),
        (None, None) => return Err(Error::Config("give --checkpoint or --reference".into())),
    };
    let weights = args
        .classifier
        .clone()
        .unwrap_or_else(|| shipped_asset(SHIPPED_CLASSIFIER));
    let gpu = block_on(Gpu::new(adapter))?;
    let opts = EvalOptions {
        source,
        n: args.n,
        seed: args.seed,
        data: args.data.clone().unwrap_or_else(default_data_dir),
        cache: eval::default_cache_dir(),
    };
    let report = eval::evaluate(&gpu, &weights, &opts)?;
    println!("{report}");
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        std::fs::write(path, text).map_err(io_err(path))?;
    }
    Ok(())
}
