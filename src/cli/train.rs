//! `gan-gpu train`'s flags and the run config they make, alone or against
//! a checkpoint being resumed.

use clap::{Args, ValueEnum};
use gan_gpu::spec::optim::Optimizer;
use gan_gpu::train::checkpoint::{self, GeneratorWeights};
use gan_gpu::train::{defaults, FakeBatchNorm, GanLoss, TrainConfig};
use gan_gpu::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
pub enum OptimizerKind {
    /// Adam, lr 2e-4, β₁ 0.5, β₂ 0.999, ε 1e-7 (the DCGAN paper's choice)
    Adam,
    /// RMSprop, lr 1e-3, ρ 0.9, ε 1e-7 (the seed's Keras default)
    Rmsprop,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Recipe {
    /// The course project's exactly: RMSprop lr 1e-3, batch 32, noise 100, and the discriminator's fake batch from the generator in inference mode (today's default, chosen by FID; README)
    Seed,
    /// The seed's optimiser, batch and noise, conditioned on the classes (--conditional), the fake batch with its own batch statistics, and a moving average of the generator (--ema 0.999 unless given): a third of the seed's FID after 1-3 epochs of Fashion-MNIST, but not the default (README)
    Conditional,
    /// The DCGAN paper's optimiser: Adam lr 2e-4, β₁ 0.5, batch 32, noise 100, and the fake batch with its own batch statistics (the default before the measurement)
    Dcgan,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FakeBatchNormArg {
    /// The batch's own statistics, as in the generator's step
    Batch,
    /// The running statistics (inference mode), as the seed's Keras code
    Running,
}

impl FakeBatchNormArg {
    fn build(self) -> FakeBatchNorm {
        match self {
            FakeBatchNormArg::Batch => FakeBatchNorm::Batch,
            FakeBatchNormArg::Running => FakeBatchNorm::Running,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LossArg {
    /// Binary cross-entropy, the seed's (the generator's non-saturating form)
    Bce,
    /// The hinge loss (Lim & Ye 2017), as in spectrally normalised GANs
    Hinge,
}

impl LossArg {
    fn build(self) -> GanLoss {
        match self {
            LossArg::Bce => GanLoss::Bce,
            LossArg::Hinge => GanLoss::Hinge,
        }
    }
}

/// A checkpoint's generator, for `sample` and `eval`.
#[derive(Clone, Copy, ValueEnum)]
pub enum GeneratorArg {
    /// The weights the optimiser trained
    Trained,
    /// Their moving average (a run with --ema)
    Average,
}

impl GeneratorArg {
    pub fn build(self) -> GeneratorWeights {
        match self {
            GeneratorArg::Trained => GeneratorWeights::Trained,
            GeneratorArg::Average => GeneratorWeights::Average,
        }
    }
}

/// The flags of `gan-gpu train`. Those a resume takes from the checkpoint
/// are options here; their defaults live in `gan_gpu::train::defaults`.
#[derive(Args)]
pub struct TrainArgs {
    /// Epochs to train in total [default: 50; when resuming, the checkpoint's].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Images per batch [default: 32]; the discriminator sees a batch of fake plus a batch of real images.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Size of the generator's noise vector [default: 100].
    #[arg(long)]
    pub latent_dim: Option<usize>,
    /// Optimiser for both networks [default: rmsprop, the seed's; README's recipe table].
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate (default: 2e-4 for Adam, 1e-3 for RMSprop).
    #[arg(long)]
    pub lr: Option<f32>,
    /// Seed of every random number: initial weights, noise, dropout, shuffling [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Directory of IDX files with train-images-idx3-ubyte[.gz], or a folder of PNG/JPEG images searched recursively (default: the shipped Fashion-MNIST).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output directory (default: runs/<timestamp>, or the checkpoint's directory when resuming).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue exactly from this checkpoint.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Train on the first N images only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Steps between metric readbacks, each waiting for the GPU once [default: 20; when resuming, the checkpoint's].
    #[arg(long)]
    pub log_every: Option<usize>,
    /// A named recipe; it sets the optimiser, batch size, noise size and fake-batch statistics itself (conditional: --conditional and, unless given, --ema 0.999 too).
    #[arg(long, value_enum, conflicts_with_all = ["optimizer", "lr", "batch_size", "latent_dim", "fake_batch_norm"])]
    pub recipe: Option<Recipe>,
    /// Batch-norm statistics of the generator pass that makes the discriminator's fake batch [default: running, the seed's].
    #[arg(long, value_enum)]
    pub fake_batch_norm: Option<FakeBatchNormArg>,
    /// One-sided label smoothing: the discriminator's target for real images is 1 - S [default: 0].
    #[arg(long, value_name = "S")]
    pub label_smoothing: Option<f32>,
    /// The discriminator's learning rate, when it should differ from the generator's --lr (two time-scale updates).
    #[arg(long, value_name = "LR")]
    pub lr_d: Option<f32>,
    /// The GAN's loss [default: bce].
    #[arg(long, value_enum)]
    pub loss: Option<LossArg>,
    /// Keep a moving average of the generator's weights with this decay (0.999 is usual), and draw every sample and evaluation from it.
    #[arg(long, value_name = "DECAY")]
    pub ema: Option<f32>,
    /// Spectrally normalise the discriminator's kernels (one power-iteration step per forward pass).
    #[arg(long)]
    pub spectral_norm: bool,
    /// Condition both networks on the images' classes (train-labels-idx1-ubyte beside IDX images, or an image folder's class folders): `sample --class` then draws a chosen class, and the epoch grids show one row per class.
    #[arg(long)]
    pub conditional: bool,
    /// A folder of images (--data): the side they are centre-cropped and resized to, 28, 32, 48 or 64 [default: 32].
    #[arg(long, value_name = "PX")]
    pub image_size: Option<usize>,
    /// A folder of images (--data): 1 (grey) or 3 (RGB) [default: RGB if any image has colour, else grey].
    #[arg(long, value_name = "C")]
    pub channels: Option<usize>,
    /// Steps between the frames of progress.gif (the fixed-noise grid) [default: a frame per epoch; when resuming, the checkpoint's].
    #[arg(long, value_name = "N")]
    pub movie_every: Option<usize>,
    /// Every E epochs, measure FID, KID, precision/recall and class coverage (as `gan-gpu eval`) into metrics.csv and eval.png.
    #[arg(long, value_name = "E")]
    pub eval_every: Option<usize>,
    /// Samples each --eval-every measurement draws (FID is biased upward at small n; compare at equal n).
    #[arg(long, default_value_t = 2000)]
    pub eval_n: usize,
}

impl OptimizerKind {
    fn build(self, lr: Option<f32>) -> Optimizer {
        match self {
            OptimizerKind::Adam => Optimizer::adam(lr.unwrap_or(defaults::ADAM_LR)),
            OptimizerKind::Rmsprop => Optimizer::rmsprop(lr.unwrap_or(defaults::RMSPROP_LR)),
        }
    }
}

impl TrainArgs {
    /// The run's config: the flags, or the checkpoint's config when
    /// resuming (where a flag that contradicts the checkpoint is an error,
    /// since the run could not continue exactly).
    pub fn config(&self, resume: Option<&checkpoint::Checkpoint>) -> Result<TrainConfig> {
        let Some(ckpt) = resume else {
            let cfg = TrainConfig {
                epochs: self.epochs.unwrap_or(defaults::EPOCHS),
                batch_size: self.batch_size.unwrap_or(defaults::BATCH_SIZE),
                latent_dim: self.latent_dim.unwrap_or(defaults::LATENT_DIM),
                optimizer: self
                    .optimizer
                    .unwrap_or(OptimizerKind::Rmsprop)
                    .build(self.lr),
                seed: self.seed.unwrap_or(defaults::SEED),
                data: self.data.clone().unwrap_or_else(default_data_dir),
                limit: self.limit,
                log_every: self.log_every.unwrap_or(defaults::LOG_EVERY),
                fake_batch_norm: self
                    .fake_batch_norm
                    .map_or(FakeBatchNorm::Running, FakeBatchNormArg::build),
                label_smoothing: self.label_smoothing.unwrap_or(0.0),
                disc_lr: self.lr_d,
                loss: self.loss.map_or(GanLoss::Bce, LossArg::build),
                ema: self.ema,
                spectral_norm: self.spectral_norm,
                movie_every: self.movie_every,
                conditional: self.conditional,
                image_size: self.image_size,
                channels: self.channels,
            };
            return Ok(match self.recipe {
                Some(recipe) => recipe.apply(cfg),
                None => cfg,
            });
        };
        let c = &ckpt.config;
        let conflict = |flag: &str, ours: String, theirs: String| {
            Err(Error::Config(format!("--{flag} {ours} contradicts the checkpoint's {theirs}; drop the flag to resume exactly")))
        };
        if let Some(b) = self.batch_size.filter(|&b| b != c.batch_size) {
            return conflict("batch-size", b.to_string(), c.batch_size.to_string());
        }
        if let Some(l) = self.latent_dim.filter(|&l| l != c.latent_dim) {
            return conflict("latent-dim", l.to_string(), c.latent_dim.to_string());
        }
        if let Some(s) = self.seed.filter(|&s| s != c.seed) {
            return conflict("seed", s.to_string(), c.seed.to_string());
        }
        if self.limit.is_some() && self.limit != c.limit {
            let limit = self.limit;
            return conflict("limit", format!("{limit:?}"), format!("{:?}", c.limit));
        }
        if let Some(kind) = self.optimizer {
            let wanted = kind.build(self.lr);
            if wanted != c.optimizer {
                return conflict(
                    "optimizer",
                    format!("{wanted:?}"),
                    format!("{:?}", c.optimizer),
                );
            }
        }
        if let Some(f) = self.fake_batch_norm.map(FakeBatchNormArg::build) {
            if f != c.fake_batch_norm {
                return conflict(
                    "fake-batch-norm",
                    format!("{f:?}"),
                    format!("{:?}", c.fake_batch_norm),
                );
            }
        }
        if let Some(l) = self.label_smoothing.filter(|&l| l != c.label_smoothing) {
            return conflict(
                "label-smoothing",
                l.to_string(),
                c.label_smoothing.to_string(),
            );
        }
        if self.lr_d.is_some() && self.lr_d != c.disc_lr {
            let lr = self.lr_d;
            return conflict("lr-d", format!("{lr:?}"), format!("{:?}", c.disc_lr));
        }
        if let Some(l) = self.loss.map(LossArg::build).filter(|&l| l != c.loss) {
            return conflict("loss", format!("{l:?}"), format!("{:?}", c.loss));
        }
        if self.ema.is_some() && self.ema != c.ema {
            let ema = self.ema;
            return conflict("ema", format!("{ema:?}"), format!("{:?}", c.ema));
        }
        if self.spectral_norm && !c.spectral_norm {
            return conflict(
                "spectral-norm",
                "(on)".into(),
                "discriminator without it".into(),
            );
        }
        if self.conditional && !c.conditional {
            return conflict("conditional", "(on)".into(), "unconditional model".into());
        }
        if self.image_size.is_some() && self.image_size != c.image_size {
            let size = self.image_size;
            return conflict(
                "image-size",
                format!("{size:?}"),
                format!("{:?}", c.image_size),
            );
        }
        if self.channels.is_some() && self.channels != c.channels {
            let channels = self.channels;
            return conflict(
                "channels",
                format!("{channels:?}"),
                format!("{:?}", c.channels),
            );
        }
        if let Some(recipe) = self.recipe {
            if recipe.apply(c.clone()) != *c {
                let name = recipe.to_possible_value().expect("a named recipe");
                return conflict("recipe", name.get_name().into(), format!("{c:?}"));
            }
        }
        Ok(TrainConfig {
            epochs: self.epochs.unwrap_or(c.epochs),
            data: self.data.clone().unwrap_or_else(|| c.data.clone()),
            log_every: self.log_every.unwrap_or(c.log_every),
            movie_every: self.movie_every.or(c.movie_every),
            ..c.clone()
        })
    }
}

impl Recipe {
    /// `cfg` with this recipe's optimiser, batch, noise size and fake-batch
    /// statistics; the conditional recipe also conditions both networks and
    /// keeps a moving average unless `cfg` has one.
    pub fn apply(self, cfg: TrainConfig) -> TrainConfig {
        let rmsprop = OptimizerKind::Rmsprop.build(None);
        let (optimizer, fake_batch_norm, conditional, ema) = match self {
            Recipe::Seed => (rmsprop, FakeBatchNorm::Running, cfg.conditional, cfg.ema),
            Recipe::Conditional => (
                rmsprop,
                FakeBatchNorm::Batch,
                true,
                cfg.ema.or(Some(defaults::EMA_DECAY)),
            ),
            Recipe::Dcgan => (
                OptimizerKind::Adam.build(None),
                FakeBatchNorm::Batch,
                cfg.conditional,
                cfg.ema,
            ),
        };
        TrainConfig {
            optimizer,
            batch_size: defaults::BATCH_SIZE,
            latent_dim: defaults::LATENT_DIM,
            fake_batch_norm,
            conditional,
            ema,
            ..cfg
        }
    }
}

pub fn default_data_dir() -> PathBuf {
    shipped_asset("assets/fashion-mnist")
}

/// A shipped file or folder: under the working directory when run from a
/// checkout, else where this binary was built from.
pub fn shipped_asset(relative: &str) -> PathBuf {
    let local = PathBuf::from(relative);
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }
}

/// UTC time as YYYYMMDD-HHMMSS (civil-from-days, Howard Hinnant's algorithm).
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
