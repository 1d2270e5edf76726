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

pub const KERNEL: usize = 5;
pub const LEAKY_SLOPE: f32 = 0.2;
pub const DROPOUT_RATE: f32 = 0.3;
/// Channels of the generator's last hidden feature map and of the
/// discriminator's first; each block further from the image doubles them
/// (the seed's 128 → 64 generator and 64 → 128 discriminator).
pub const BASE_CHANNELS: usize = 64;
/// The seed's stride-2 blocks per network, at 28 and 32 px.
pub const SEED_BLOCKS: usize = 2;
/// The most blocks a model has (the layer names go this far).
pub const MAX_BLOCKS: usize = 4;

/// Image and latent sizes, the class count and the colour channels:
/// everything else about the networks follows.
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
    /// Stride-2 blocks of each network (checkpoints from before this field
    /// had the seed's two).
    #[serde(default = "seed_blocks")]
    pub blocks: usize,
}

fn grey() -> usize {
    1
}

fn seed_blocks() -> usize {
    SEED_BLOCKS
}

/// Blocks for images of `side` pixels (the shorter side): the seed's two,
/// and one more per doubling past 32, as the DCGAN paper deepens its
/// networks with the image (64 px: three).
pub fn blocks_for(side: usize) -> usize {
    let mut blocks = SEED_BLOCKS;
    while side >> (blocks - 1) >= 32 {
        blocks += 1;
    }
    blocks
}

impl ModelShape {
    pub fn new(latent: usize, height: usize, width: usize) -> Result<ModelShape> {
        if latent == 0 {
            return Err(Error::Config("--latent-dim must be at least 1".into()));
        }
        let blocks = blocks_for(height.min(width));
        let unit = 1 << blocks;
        if blocks > MAX_BLOCKS {
            return Err(Error::Config(format!(
                "images are {height}x{width}: the networks go up to {MAX_BLOCKS} blocks (sides below {} px)",
                32 << (MAX_BLOCKS - 1)
            )));
        }
        if height == 0 || width == 0 || !height.is_multiple_of(unit) || !width.is_multiple_of(unit)
        {
            return Err(Error::Config(format!(
                "images are {height}x{width}: the generator doubles its size {blocks} times, so both sides must be positive multiples of {unit}"
            )));
        }
        Ok(ModelShape {
            latent,
            height,
            width,
            classes: 0,
            channels: 1,
            blocks,
        })
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

    pub fn pixels(&self) -> usize {
        self.height * self.width
    }

    /// (h, w) of the generator's first feature map.
    pub fn seed_hw(&self) -> (usize, usize) {
        (self.height >> self.blocks, self.width >> self.blocks)
    }

    /// Channels of the generator's first feature map (Dense's output).
    pub fn seed_channels(&self) -> usize {
        BASE_CHANNELS << (self.blocks - 1)
    }

    /// The generator's transposed convolution `i` (0-based): each halves
    /// the channels, the last makes the image's.
    pub fn gen_deconv(&self, i: usize) -> ConvSpec {
        let in_c = BASE_CHANNELS << (self.blocks - 1 - i);
        let out_c = match i + 1 == self.blocks {
            true => self.channels,
            false => in_c / 2,
        };
        stride_2(in_c, out_c)
    }

    /// The discriminator's convolution `i` (0-based): 64 channels, then
    /// each doubles them.
    pub fn disc_conv(&self, i: usize) -> ConvSpec {
        let in_c = match i {
            0 => self.channels,
            _ => BASE_CHANNELS << (i - 1),
        };
        stride_2(in_c, BASE_CHANNELS << i)
    }

    /// Spatial size after the discriminator's first `n` stride-2 "same"
    /// convolutions.
    pub fn disc_hw(&self, n: usize) -> (usize, usize) {
        (0..n).fold((self.height, self.width), |(h, w), _| {
            (h.div_ceil(2), w.div_ceil(2))
        })
    }

    /// Inputs of the discriminator's dense layer.
    pub fn disc_flat(&self) -> usize {
        let (h, w) = self.disc_hw(self.blocks);
        h * w * (BASE_CHANNELS << (self.blocks - 1))
    }
}

/// A 5×5, stride-2, "same" convolution from `in_c` to `out_c` channels
/// (the GAN's and the classifier's).
pub(crate) fn stride_2(in_c: usize, out_c: usize) -> ConvSpec {
    ConvSpec {
        in_c,
        out_c,
        kernel: (KERNEL, KERNEL),
        stride: 2,
        padding: Padding::Same,
    }
}

/// The seed: a u64 from the command line folded to the u32 the shaders use.
pub fn gpu_seed(seed: u64) -> u32 {
    (seed ^ (seed >> 32)) as u32
}
