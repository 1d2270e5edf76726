//! `gan-gpu classifier train`: the feature network of `eval`, trained from
//! a seed on the project's own kernels, and its weights file.
//!
//! The weights `eval` uses are pinned by their SHA-256 ([`PINNED_SHA256`]),
//! so that FID and the other figures stay comparable across versions: a
//! retrained classifier is a new yardstick, and `eval` refuses it until
//! the pin (and every figure measured with the old one) is updated.

use super::features::{scale_bytes, FeatureNet, FEATURE_CHUNK};
use crate::data::{Images, Labels};
use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::model::classifier::Classifier;
use crate::model::{gpu_seed, salt};
use crate::ops::counter::{RngSource, StepCounter};
use crate::ops::loss::{self, LossMetrics};
use crate::ops::{data, optim};
use crate::spec::optim::Optimizer;
use crate::train::{checkpoint, epoch_order};
use safetensors::{Dtype, SafeTensors};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const FORMAT: &str = "gan-gpu classifier 1";
/// The one metadata key: its value is a JSON object (sorted keys), so that
/// the same weights always make the same bytes and the same SHA-256
/// (safetensors writes several keys in a random order).
const METADATA_KEY: &str = "gan-gpu";

/// The SHA-256 of `assets/classifier/fashion-mnist.safetensors`, the
/// weights every figure in the README was measured with.
pub const PINNED_SHA256: &str = "ba98941654089e8fed7fc30a9d1a28b7909d9ef42df17f6191e8eeea5bbcf508";

#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f32,
    pub seed: u64,
    /// Start from these weights (a classifier file) instead of the seeded
    /// initialisation, with a fresh optimiser: a second, lower-rate stage.
    pub init: Option<std::path::PathBuf>,
    /// Move each training image by a random whole number of pixels, up to
    /// this many each way on each axis (0: as they are): data augmentation.
    pub shift: u32,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            epochs: 4,
            batch_size: 128,
            lr: 1e-3,
            seed: 0,
            init: None,
            shift: 0,
        }
    }
}

/// A labelled image set.
pub struct Labelled<'a> {
    pub images: &'a Images,
    pub labels: &'a Labels,
}

/// What one epoch ended with.
#[derive(Clone, Copy, Debug)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub seconds: f64,
}

/// The fraction of `set` the classifier labels right.
pub async fn accuracy(gpu: &Gpu, net: &FeatureNet, set: &Labelled<'_>) -> Result<f64> {
    let f = net.run(gpu, &scale_bytes(&set.images.pixels)).await?;
    let right = f
        .classes()
        .iter()
        .zip(&set.labels.values)
        .filter(|(&c, &l)| c == l as usize)
        .count();
    Ok(right as f64 / f.n as f64)
}

/// Trains a classifier from `cfg.seed` on `train`, measuring `test` after
/// every epoch; `report` hears each epoch with the weights it ended with.
pub fn train(
    gpu: &Gpu,
    cfg: &ClassifierConfig,
    train: &Labelled,
    test: &Labelled,
    mut report: impl FnMut(&EpochReport, &Classifier) -> Result<()>,
) -> Result<Classifier> {
    let images = train.images;
    let b = cfg.batch_size;
    if b == 0 || images.count < b {
        return Err(Error::Config(format!(
            "batch size {b} does not fit {} training images",
            images.count
        )));
    }
    let opt = Optimizer::Adam {
        lr: cfg.lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-7,
    };
    opt.validate()
        .map_err(|e| Error::Config(format!("--lr: {e}")))?;
    let hw = (images.height, images.width);
    let classifier = Classifier::new(gpu, hw, opt.state_count())?;
    let counter = StepCounter::default().upload(gpu, "classifier step counter")?;
    let seed = gpu_seed(cfg.seed);
    let mut init = Program::new();
    classifier
        .params
        .record_init(gpu, &mut init, seed, &counter)?;
    gpu.run(&init)?;
    if let Some(path) = &cfg.init {
        let bytes = std::fs::read(path).map_err(crate::error::io_err(path))?;
        let from = load(gpu, path, &bytes)?;
        if from.hw != hw {
            return Err(weights_err(
                path,
                format!("takes {:?} images, the data is {hw:?}", from.hw),
            ));
        }
        let values: Vec<f32> = crate::gpu::block_on(gpu.download(&from.params.values))?;
        gpu.write(&classifier.params.values, &values)?;
    }

    let pack = |label: &str, bytes: &[u8]| -> Result<Tensor> {
        gpu.upload(label, &[bytes.len().div_ceil(4)], &data::pack_bytes(bytes))
    };
    let dataset = pack("classifier images", &images.pixels)?;
    let label_set = pack("classifier labels", &train.labels.values)?;
    let order = gpu.zeros("classifier order", &[images.count])?;
    let metrics = gpu.zeros("classifier metrics", &[loss::SLOT])?;
    let ws = classifier.workspace(gpu, b, true)?;
    let x = gpu.zeros("classifier batch", &[b, hw.0, hw.1, 1])?;
    let labels = gpu.zeros("classifier batch labels", &[b])?;
    let d_logits = classifier
        .d_logits(&ws)
        .expect("a training workspace has the logits' gradient");
    let pixels = hw.0 * hw.1;
    let mut step = Program::new();
    if cfg.shift == 0 {
        data::gather_images(gpu, &mut step, &dataset, &order, &counter, pixels, b, &x, 0)?;
    } else {
        let shift = data::Shift {
            max: cfg.shift,
            seed,
            salt: salt::CLASSIFIER_SHIFT,
        };
        data::gather_images_shifted(
            gpu, &mut step, &dataset, &order, &counter, hw, b, &x, 0, shift,
        )
        .map_err(|e| Error::Config(format!("--shift {}: {e}", cfg.shift)))?;
    }
    data::gather_labels(gpu, &mut step, &label_set, &order, &counter, b, &labels, 0)?;
    let dropout = RngSource {
        seed,
        salt: salt::CLASSIFIER_DROPOUT,
        counter: &counter,
    };
    classifier.record_forward(gpu, &mut step, &ws, &x, Some(dropout))?;
    loss::softmax_cross_entropy(gpu, &mut step, &ws.logits, &labels, d_logits, &metrics, 0)?;
    classifier.record_backward(gpu, &mut step, &ws, &x)?;
    let p = &classifier.params;
    optim::step(
        gpu, &mut step, &opt, &p.values, &p.grads, &p.state, &counter,
    )?;

    let eval_net = FeatureNet::new(gpu, &classifier, FEATURE_CHUNK)?;
    let steps_per_epoch = images.count / b;
    let mut global = 0u32;
    for epoch in 0..cfg.epochs {
        let start = std::time::Instant::now();
        gpu.write(&order, &epoch_order(cfg.seed, epoch, images.count))?;
        for s in 0..steps_per_epoch {
            StepCounter {
                step: global,
                batch_start: (s * b) as u32,
            }
            .write(gpu, &counter)?;
            gpu.submit(&step)?;
            global += 1;
        }
        let raw: Vec<f32> = crate::gpu::block_on(gpu.download(&metrics))?;
        gpu.write(&metrics, &vec![0.0f32; raw.len()])?;
        let m = LossMetrics::slots(&raw)[0];
        let calls = m.calls.max(1.0) as f64;
        if !m.loss.is_finite() {
            return Err(Error::Diverged(format!(
                "the classifier's loss is {} in epoch {}; try a smaller --lr",
                m.loss,
                epoch + 1
            )));
        }
        report(
            &EpochReport {
                epoch: epoch + 1,
                train_loss: m.loss as f64 / calls,
                train_accuracy: m.accuracy as f64 / calls,
                test_accuracy: crate::gpu::block_on(accuracy(gpu, &eval_net, test))?,
                seconds: start.elapsed().as_secs_f64(),
            },
            &classifier,
        )?;
    }
    Ok(classifier)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The classifier's weights as a safetensors file, with what made it in
/// the metadata.
pub async fn to_bytes(
    gpu: &Gpu,
    classifier: &Classifier,
    metadata: BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let p = &classifier.params;
    let tensors = p.download(gpu, &p.values).await?;
    let bytes = checkpoint::f32_bytes(&tensors);
    let views = checkpoint::tensor_views(&tensors, &bytes, |e| {
        Error::Config(format!("classifier {e}"))
    })?;
    let mut meta = metadata;
    meta.insert("format".into(), FORMAT.into());
    meta.insert("height".into(), classifier.hw.0.to_string());
    meta.insert("width".into(), classifier.hw.1.to_string());
    let json = serde_json::to_string(&meta).expect("a string map serialises");
    safetensors::serialize(
        views,
        Some(HashMap::from([(METADATA_KEY.to_string(), json)])),
    )
    .map_err(|e| Error::Config(format!("cannot serialise the classifier: {e}")))
}

/// A classifier from weights `bytes` (read from `path`, named in errors),
/// which must hash to [`PINNED_SHA256`].
pub fn load_pinned(gpu: &Gpu, path: &Path, bytes: &[u8]) -> Result<Classifier> {
    let hash = sha256_hex(bytes);
    if hash != PINNED_SHA256 {
        return Err(weights_err(
            path,
            format!(
                "SHA-256 {hash} is not the pinned classifier's {PINNED_SHA256}; figures from other weights would not compare with the README's"
            ),
        ));
    }
    load(gpu, path, bytes)
}

fn weights_err(path: &Path, msg: String) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        msg: format!("classifier weights: {msg}"),
    }
}

/// A classifier from weights `bytes`, whatever their hash.
pub fn load(gpu: &Gpu, path: &Path, bytes: &[u8]) -> Result<Classifier> {
    let bad = |msg: String| weights_err(path, msg);
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let meta: BTreeMap<String, String> = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(METADATA_KEY))
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(bad(format!("not a {FORMAT} file")));
    }
    let dim = |key: &str| -> Result<usize> {
        meta.get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad(format!("metadata has no {key}")))
    };
    let classifier = Classifier::new(gpu, (dim("height")?, dim("width")?), 0)?;
    let file = SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    for spec in &classifier.params.specs {
        let t = file
            .tensor(spec.name)
            .map_err(|_| bad(format!("has no tensor {}", spec.name)))?;
        if t.dtype() != Dtype::F32 || t.shape() != spec.shape.as_slice() {
            return Err(bad(format!(
                "tensor {} is {:?} {:?}, not F32 {:?}",
                spec.name,
                t.dtype(),
                t.shape(),
                spec.shape
            )));
        }
        let values: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let p = &classifier.params;
        p.upload(gpu, &p.values, spec.name, &values)?;
    }
    if classifier.params.specs.len() != file.len() {
        return Err(bad(format!(
            "{} tensors, the classifier has {}",
            file.len(),
            classifier.params.specs.len()
        )));
    }
    Ok(classifier)
}
