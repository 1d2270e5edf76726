//! The classifier in inference mode over any number of images, a chunk at
//! a time: the features `eval` compares and the logits that give classes.

use crate::error::{Error, Result};
use crate::gpu::{Gpu, Program, Tensor};
use crate::model::classifier::{Classifier, CLASSES, FEATURES};

/// Per image: `FEATURES` features and `CLASSES` logits, row-major.
#[derive(Clone, Debug, Default)]
pub struct Features {
    pub n: usize,
    pub features: Vec<f32>,
    pub logits: Vec<f32>,
}

impl Features {
    /// The classifier's class of every image (the first largest logit).
    pub fn classes(&self) -> Vec<usize> {
        self.logits
            .chunks(CLASSES)
            .map(|row| (1..CLASSES).fold(0, |b, c| if row[c] > row[b] { c } else { b }))
            .collect()
    }
}

/// Images the feature pass takes at once: the conv2 column workspace of
/// 500 images is 78 MB, inside the 128 MiB binding limit WebGPU promises.
pub const FEATURE_CHUNK: usize = 500;

pub struct FeatureNet {
    input: Tensor,
    features: Tensor,
    logits: Tensor,
    program: Program,
    chunk: usize,
    pixels: usize,
}

impl FeatureNet {
    pub fn new(gpu: &Gpu, classifier: &Classifier, chunk: usize) -> Result<FeatureNet> {
        let ws = classifier.workspace(gpu, chunk, false)?;
        let (h, w) = classifier.hw;
        let input = gpu.zeros("classifier input", &[chunk, h, w, 1])?;
        let mut program = Program::new();
        classifier.record_forward(gpu, &mut program, &ws, &input, None)?;
        // The recorded bind groups keep the workspace alive.
        Ok(FeatureNet {
            input,
            features: ws.features.clone(),
            logits: ws.logits.clone(),
            program,
            chunk,
            pixels: h * w,
        })
    }

    /// Features and logits of `images` ([n, h, w] in [-1, 1]).
    pub async fn run(&self, gpu: &Gpu, images: &[f32]) -> Result<Features> {
        if !images.len().is_multiple_of(self.pixels) {
            return Err(Error::Config(format!(
                "{} values are not whole images of {} pixels",
                images.len(),
                self.pixels
            )));
        }
        let n = images.len() / self.pixels;
        let mut out = Features {
            n,
            ..Features::default()
        };
        for start in (0..n).step_by(self.chunk) {
            let count = self.chunk.min(n - start);
            let mut batch = images[start * self.pixels..(start + count) * self.pixels].to_vec();
            batch.resize(self.chunk * self.pixels, 0.0);
            gpu.write(&self.input, &batch)?;
            gpu.submit(&self.program)?;
            let features: Vec<f32> = gpu.download(&self.features).await?;
            let logits: Vec<f32> = gpu.download(&self.logits).await?;
            out.features
                .extend_from_slice(&features[..count * FEATURES]);
            out.logits.extend_from_slice(&logits[..count * CLASSES]);
        }
        Ok(out)
    }
}

/// Bytes [0, 255] as the [-1, 1] floats the networks take.
pub fn scale_bytes(pixels: &[u8]) -> Vec<f32> {
    pixels.iter().map(|&b| b as f32 / 127.5 - 1.0).collect()
}
