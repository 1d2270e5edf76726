//! Sample quality as numbers: `gan-gpu eval` compares a generator's images
//! with the test set in the feature space of a small classifier that
//! gan-gpu trains on its own kernels (`gan-gpu classifier train`).

pub mod classifier;
pub mod features;
pub mod metrics;

use crate::data::{find_idx_file, read_images, Images};
use crate::error::{io_err, Error, Result};
use crate::gpu::{block_on, Gpu};
use crate::model::classifier::{Classifier, CLASSES, FEATURES};
use crate::model::generator::Generator;
use crate::model::gpu_seed;
use crate::train::checkpoint::{self, GeneratorWeights};
use crate::train::sampler::{Sampler, SAMPLE_CHUNK};
use features::{scale_bytes, FeatureNet, Features, FEATURE_CHUNK};
use metrics::{FeatureSet, Grams};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where the test set's features are kept between runs:
/// $XDG_CACHE_HOME/gan-gpu, else ~/.cache/gan-gpu.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("gan-gpu"))
}

/// Nearest neighbours behind the precision/recall manifolds.
pub const PR_NEIGHBOURS: usize = 3;
/// Disjoint subsets KID averages over.
pub const KID_SUBSETS: usize = 10;
/// A class counts as covered when it holds this share of the samples.
pub const COVERAGE_SHARE: f64 = 0.05;

/// What `eval` measures against the test set.
#[derive(Clone, Debug)]
pub enum Source {
    /// A generator of a `gan-gpu train` checkpoint (noise from the seed):
    /// the one given, else the checkpoint's sampling generator.
    Checkpoint(PathBuf, Option<GeneratorWeights>),
    /// Reference rows: training images (the floor a perfect generator
    /// reaches), the test images with N(0, σ²) noise added, and the test
    /// images blurred by a Gaussian of σ pixels.
    Train,
    Noisy(f32),
    Blurred(f32),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Checkpoint(p, Some(GeneratorWeights::Average)) => {
                format!("{} (moving-average generator)", p.display())
            }
            Source::Checkpoint(p, Some(GeneratorWeights::Trained)) => {
                format!("{} (trained generator)", p.display())
            }
            Source::Checkpoint(p, None) => p.display().to_string(),
            Source::Train => "training images".into(),
            Source::Noisy(s) => format!("test images + N(0, {s}²) noise"),
            Source::Blurred(s) => format!("test images blurred (Gaussian σ = {s} px)"),
        }
    }
}

pub struct EvalOptions {
    pub source: Source,
    /// Images to evaluate (at most the test set's 10,000 for the test-set
    /// references).
    pub n: usize,
    pub seed: u64,
    /// The data directory with train- and t10k- images.
    pub data: PathBuf,
    /// Where the test set's features are kept between runs (None: not kept).
    pub cache: Option<PathBuf>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    pub source: String,
    pub n: usize,
    pub reference_n: usize,
    pub seed: u64,
    pub fid: f64,
    pub kid: f64,
    pub kid_standard_error: f64,
    pub precision: f64,
    pub recall: f64,
    pub class_histogram: Vec<usize>,
    pub classes_covered: usize,
    /// A conditional generator of Fashion-MNIST's classes: for each class,
    /// the share of the samples drawn as it that the classifier puts in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_agreement: Option<Vec<f64>>,
    pub classifier_sha256: String,
    pub seconds: f64,
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        writeln!(
            f,
            "{} ({} images against {} test images, seed {})",
            self.source, self.n, self.reference_n, self.seed
        )?;
        writeln!(f, "FID        {:.3}", self.fid)?;
        writeln!(
            f,
            "KID        {:.5} ± {:.5}",
            self.kid, self.kid_standard_error
        )?;
        writeln!(f, "precision  {:.4}", self.precision)?;
        writeln!(f, "recall     {:.4}", self.recall)?;
        writeln!(
            f,
            "coverage   {}/{} classes hold ≥ {:.0}% of the samples",
            self.classes_covered,
            CLASSES,
            COVERAGE_SHARE * 100.0
        )?;
        if let Some(agreement) = &self.class_agreement {
            let mean = agreement.iter().sum::<f64>() / agreement.len() as f64;
            writeln!(
                f,
                "classes    {:.1}% of the samples drawn as a class are classified as it (per class below)",
                100.0 * mean
            )?;
        }
        let names = crate::model::classifier::FASHION_MNIST_CLASSES;
        for (c, (name, count)) in names.iter().zip(&self.class_histogram).enumerate() {
            write!(
                f,
                "  {name:<12} {count:>6} ({:.1}%)",
                100.0 * *count as f64 / self.n.max(1) as f64
            )?;
            match &self.class_agreement {
                Some(a) => writeln!(f, "  drawn as {name}: {:.0}% classified so", 100.0 * a[c])?,
                None => writeln!(f)?,
            }
        }
        write!(
            f,
            "({:.0} s, classifier sha256 {})",
            self.seconds,
            &self.classifier_sha256[..16]
        )
    }
}

/// The test set's features, from the cache when it holds them for these
/// weights and these images.
fn test_features(
    gpu: &Gpu,
    net: &FeatureNet,
    test: &Images,
    hash: &str,
    cache: Option<&Path>,
) -> Result<Features> {
    // Keyed by the weights and by the images themselves: another test set
    // of the same size (MNIST's, through --data) gets its own entry.
    let images = classifier::sha256_hex(&test.pixels);
    let file = cache.map(|dir| {
        dir.join(format!(
            "test-features-{}-{}-{}.bin",
            &hash[..16],
            &images[..16],
            test.count
        ))
    });
    if let Some(bytes) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        let floats: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        if floats.len() == test.count * (FEATURES + CLASSES) {
            let (features, logits) = floats.split_at(test.count * FEATURES);
            return Ok(Features {
                n: test.count,
                features: features.to_vec(),
                logits: logits.to_vec(),
            });
        }
    }
    let f = block_on(net.run(gpu, &scale_bytes(&test.pixels)))?;
    if let (Some(file), Some(dir)) = (&file, cache) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut bytes: Vec<u8> = bytemuck::cast_slice(&f.features).to_vec();
        bytes.extend_from_slice(bytemuck::cast_slice(&f.logits));
        checkpoint::write_atomically(file, &bytes)?;
    }
    Ok(f)
}

/// The classes a conditional generator draws `n` images as (its classes
/// in turn, as [`Sampler::new`] draws them) where they are the
/// classifier's, Fashion-MNIST's; else none.
pub fn drawn_classes(names: &[String], n: usize) -> Option<Vec<usize>> {
    let fashion = crate::model::classifier::FASHION_MNIST_CLASSES;
    (names.len() == fashion.len() && names.iter().zip(fashion).all(|(a, b)| a == b))
        .then(|| (0..n).map(|i| i % names.len()).collect())
}

/// `n` images of the source, [n, h, w] in [-1, 1], and for a conditional
/// generator of Fashion-MNIST's classes the class each was drawn as.
fn source_images(
    gpu: &Gpu,
    opts: &EvalOptions,
    test: &Images,
) -> Result<(Vec<f32>, Option<Vec<usize>>)> {
    let n = opts.n;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed);
    let test_images = |what: &str| -> Result<Vec<f32>> {
        if n > test.count {
            return Err(Error::Config(format!(
                "--n {n}: the {what} reference has only the {} test images",
                test.count
            )));
        }
        Ok(scale_bytes(&test.pixels[..n * test.height * test.width]))
    };
    match &opts.source {
        Source::Checkpoint(path, which) => {
            let ckpt = checkpoint::load(path)?;
            let theirs = (ckpt.shape.height, ckpt.shape.width, ckpt.shape.channels);
            if theirs != (test.height, test.width, 1) {
                return Err(Error::Config(format!(
                    "{} makes {}x{} images of {} channels; the classifier takes {}x{} grey",
                    path.display(),
                    theirs.0,
                    theirs.1,
                    theirs.2,
                    test.height,
                    test.width
                )));
            }
            let gen = Generator::new(gpu, ckpt.shape, 0)?;
            let which = which.unwrap_or_else(|| ckpt.sampling_weights());
            ckpt.restore_generator(path, gpu, &gen, which)?;
            let sampler = Sampler::new(gpu, &gen, n.min(SAMPLE_CHUNK), gpu_seed(opts.seed))?;
            Ok((
                block_on(sampler.draw(gpu, n))?,
                drawn_classes(&ckpt.classes, n),
            ))
        }
        Source::Train => {
            let train = read_images(&find_idx_file(&opts.data, "train-images-idx3-ubyte")?)?;
            if n > train.count {
                return Err(Error::Config(format!(
                    "--n {n}: there are only {} training images",
                    train.count
                )));
            }
            let mut order: Vec<usize> = (0..train.count).collect();
            order.shuffle(&mut rng);
            let px = train.height * train.width;
            let images = order[..n]
                .iter()
                .flat_map(|&i| scale_bytes(&train.pixels[i * px..(i + 1) * px]))
                .collect();
            Ok((images, None))
        }
        Source::Noisy(sigma) => {
            let images = test_images("noisy")?
                .into_iter()
                .map(|v| (v + sigma * standard_normal(&mut rng)).clamp(-1.0, 1.0))
                .collect();
            Ok((images, None))
        }
        Source::Blurred(sigma) => {
            let (h, w) = (test.height, test.width);
            test_images("blurred")?;
            let images = test.pixels[..n * h * w]
                .chunks(h * w)
                .flat_map(|px| {
                    let img = image::GrayImage::from_raw(w as u32, h as u32, px.to_vec())
                        .expect("the buffer holds one image");
                    scale_bytes(image::imageops::blur(&img, *sigma).as_raw())
                })
                .collect();
            Ok((images, None))
        }
    }
}

/// One draw from N(0, 1) (Box–Muller).
pub(crate) fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// The classifier's view of the test set, ready to measure image sets
/// against: made once per run, since the test features cost a pass over
/// 10,000 images (cached on disk between runs).
pub struct Evaluator {
    net: FeatureNet,
    reference: Features,
    hash: String,
    pub test: Images,
}

impl Evaluator {
    /// `classifier`'s weights hash to `hash`; the test images come from
    /// `data`; `cache` keeps their features between runs.
    pub fn new(
        gpu: &Gpu,
        classifier: &Classifier,
        hash: &str,
        data: &Path,
        cache: Option<&Path>,
    ) -> Result<Evaluator> {
        let test = read_images(&find_idx_file(data, "t10k-images-idx3-ubyte")?)?;
        let net = FeatureNet::new(gpu, classifier, FEATURE_CHUNK)?;
        let reference = test_features(gpu, &net, &test, hash, cache)?;
        Ok(Evaluator {
            net,
            reference,
            hash: hash.to_string(),
            test,
        })
    }

    /// [`Evaluator::new`] with the weights file `weights`, which must be
    /// the pinned classifier.
    pub fn from_weights(
        gpu: &Gpu,
        weights: &Path,
        data: &Path,
        cache: Option<&Path>,
    ) -> Result<Evaluator> {
        let bytes = std::fs::read(weights).map_err(io_err(weights))?;
        let net = classifier::load_pinned(gpu, weights, &bytes)?;
        Evaluator::new(gpu, &net, &classifier::sha256_hex(&bytes), data, cache)
    }

    /// Every figure for `images` ([n, h, w] in [-1, 1]) against the test
    /// set; `seed` draws the KID subsets. With `drawn`, the class each image
    /// was drawn as, the report has each class's agreement.
    pub fn measure(
        &self,
        gpu: &Gpu,
        source: String,
        images: &[f32],
        drawn: Option<&[usize]>,
        seed: u64,
    ) -> Result<EvalReport> {
        let start = std::time::Instant::now();
        let samples = block_on(self.net.run(gpu, images))?;
        if samples.n < 2 * KID_SUBSETS {
            return Err(Error::Config(format!(
                "{} images: KID's {KID_SUBSETS} subsets need at least {}",
                samples.n,
                2 * KID_SUBSETS
            )));
        }
        let a = FeatureSet {
            rows: &self.reference.features,
            dim: FEATURES,
        };
        let b = FeatureSet {
            rows: &samples.features,
            dim: FEATURES,
        };
        let grams = block_on(Grams::new(gpu, &a, &b))?;
        let (kid, kid_se) = metrics::kid(&grams, KID_SUBSETS, seed);
        let (precision, recall) = metrics::precision_recall(&grams, PR_NEIGHBOURS);
        let predicted = samples.classes();
        let histogram = metrics::class_histogram(&predicted, CLASSES);
        Ok(EvalReport {
            source,
            n: samples.n,
            reference_n: self.reference.n,
            seed,
            fid: metrics::fid(&a, &b),
            kid,
            kid_standard_error: kid_se,
            precision,
            recall,
            classes_covered: metrics::classes_covered(&histogram, COVERAGE_SHARE),
            class_histogram: histogram,
            class_agreement: drawn.map(|d| metrics::class_agreement(&predicted, d, CLASSES)),
            classifier_sha256: self.hash.clone(),
            seconds: start.elapsed().as_secs_f64(),
        })
    }
}

/// Every figure for `opts.source` against the test set, with the pinned
/// classifier's weights file `weights`.
pub fn evaluate(gpu: &Gpu, weights: &Path, opts: &EvalOptions) -> Result<EvalReport> {
    check_n(opts.n)?;
    let evaluator = Evaluator::from_weights(gpu, weights, &opts.data, opts.cache.as_deref())?;
    evaluate_with(gpu, &evaluator, opts)
}

/// [`evaluate`] with an evaluator already made (its data, not `opts.data`,
/// gives the test set).
pub fn evaluate_with(gpu: &Gpu, evaluator: &Evaluator, opts: &EvalOptions) -> Result<EvalReport> {
    let start = std::time::Instant::now();
    check_n(opts.n)?;
    let (images, drawn) = source_images(gpu, opts, &evaluator.test)?;
    let source = opts.source.describe();
    let mut report = evaluator.measure(gpu, source, &images, drawn.as_deref(), opts.seed)?;
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

fn check_n(n: usize) -> Result<()> {
    if n < 2 * KID_SUBSETS {
        return Err(Error::Config(format!(
            "--n {n}: KID's {KID_SUBSETS} subsets need at least {} images",
            2 * KID_SUBSETS
        )));
    }
    Ok(())
}
