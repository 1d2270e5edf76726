//! The seed's DCGAN (`shared/SEED.md`), as GPU programs.
//!
//! Generator: Dense(latent → h/4·w/4·128) → Reshape → BatchNorm →
//! Conv2DTranspose(64, 5×5, s2, same) → SELU → BatchNorm →
//! Conv2DTranspose(1, 5×5, s2, same) → tanh.
//! Discriminator: Conv2D(64, 5×5, s2, same) → LeakyReLU(0.2) → Dropout(0.3)
//! → Conv2D(128, 5×5, s2, same) → LeakyReLU(0.2) → Dropout(0.3) → Flatten
//! → Dense(1), with the sigmoid folded into the loss.

pub mod classifier;
pub mod discriminator;
pub mod generator;
pub mod keras;
pub mod names;
pub mod params;
pub mod salt;

use crate::error::{Error, Result};
use crate::spec::conv::{ConvSpec, Padding};
use serde::{Deserialize, Serialize};

pub const GEN_BASE_CHANNELS: usize = 128;
pub const GEN_MID_CHANNELS: usize = 64;
pub const DISC_CHANNELS: (usize, usize) = (64, 128);
pub const KERNEL: usize = 5;
pub const LEAKY_SLOPE: f32 = 0.2;
pub const DROPOUT_RATE: f32 = 0.3;

/// Image and latent sizes and the class count: everything else about the
/// networks follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelShape {
    pub latent: usize,
    pub height: usize,
    pub width: usize,
    /// Classes a conditional model draws (`--conditional`); 0 for an
    /// unconditional one (and every checkpoint from before this field).
    #[serde(default)]
    pub classes: usize,
    /// Colour channels of an image: 1 (grey; every checkpoint from before
    /// this field) or 3 (RGB).
    #[serde(default = "grey")]
    pub channels: usize,
}

fn grey() -> usize {
    1
}

impl ModelShape {
    pub fn new(latent: usize, height: usize, width: usize) -> Result<ModelShape> {
        if latent == 0 {
            return Err(Error::Config("--latent-dim must be at least 1".into()));
        }
        if height == 0 || width == 0 || !height.is_multiple_of(4) || !width.is_multiple_of(4) {
            return Err(Error::Config(format!(
                "images are {height}x{width}: the generator doubles its size twice, so both sides must be positive multiples of 4"
            )));
        }
        Ok(ModelShape {
            latent,
            height,
            width,
            classes: 0,
            channels: 1,
        })
    }

    /// The same networks for images of `channels` colour channels.
    pub fn with_channels(self, channels: usize) -> ModelShape {
        ModelShape { channels, ..self }
    }

    /// Values in one image: height · width · channels.
    pub fn image_len(&self) -> usize {
        self.pixels() * self.channels
    }

    /// (height, width, channels) of an image.
    pub fn hwc(&self) -> (usize, usize, usize) {
        (self.height, self.width, self.channels)
    }

    /// The same networks conditioned on one of `classes` classes: the
    /// generator adds its class's row to Dense's output (a one-hot code
    /// joined to z), the discriminator adds the projection of its features
    /// onto its class's row to the logit (Miyato & Koyama 2018).
    pub fn with_classes(self, classes: usize) -> ModelShape {
        ModelShape { classes, ..self }
    }

    pub fn is_conditional(&self) -> bool {
        self.classes > 0
    }

    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// (h, w) of the generator's first feature map.
    pub fn seed_hw(&self) -> (usize, usize) {
        (self.height / 4, self.width / 4)
    }

    pub fn gen_deconv1(&self) -> ConvSpec {
        ConvSpec {
            in_c: GEN_BASE_CHANNELS,
            out_c: GEN_MID_CHANNELS,
            kernel: (KERNEL, KERNEL),
            stride: 2,
            padding: Padding::Same,
        }
    }

    pub fn gen_deconv2(&self) -> ConvSpec {
        ConvSpec {
            in_c: GEN_MID_CHANNELS,
            out_c: self.channels,
            kernel: (KERNEL, KERNEL),
            stride: 2,
            padding: Padding::Same,
        }
    }

    pub fn disc_conv1(&self) -> ConvSpec {
        ConvSpec {
            in_c: self.channels,
            out_c: DISC_CHANNELS.0,
            kernel: (KERNEL, KERNEL),
            stride: 2,
            padding: Padding::Same,
        }
    }

    pub fn disc_conv2(&self) -> ConvSpec {
        ConvSpec {
            in_c: DISC_CHANNELS.0,
            out_c: DISC_CHANNELS.1,
            kernel: (KERNEL, KERNEL),
            stride: 2,
            padding: Padding::Same,
        }
    }

    /// Spatial size after the discriminator's two stride-2 "same" convolutions.
    pub fn disc_hw(&self) -> ((usize, usize), (usize, usize)) {
        let h1 = (self.height.div_ceil(2), self.width.div_ceil(2));
        let h2 = (h1.0.div_ceil(2), h1.1.div_ceil(2));
        (h1, h2)
    }

    /// Inputs of the discriminator's dense layer.
    pub fn disc_flat(&self) -> usize {
        let (_, (h, w)) = self.disc_hw();
        h * w * DISC_CHANNELS.1
    }
}

/// The seed: a u64 from the command line folded to the u32 the shaders use.
pub fn gpu_seed(seed: u64) -> u32 {
    (seed ^ (seed >> 32)) as u32
}
