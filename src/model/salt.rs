//! The random streams of training. Every random number is a pure function
//! of (seed, salt, step counter, element index) (`shaders/lib/rng.wgsl`),
//! so each stream that must differ from the others gets a salt of its own
//! here, and the CPU reference draws the same streams from the same salts.

/// The generator's noise in the discriminator's step.
pub const NOISE_D_STEP: u32 = 1;
/// The generator's noise in its own step.
pub const NOISE_G_STEP: u32 = 2;
/// Dropout after the discriminator's conv1 and conv2, in its own step.
pub const DROPOUT_D_STEP: [u32; 2] = [3, 4];
/// The same in the generator's step (through the frozen discriminator).
pub const DROPOUT_G_STEP: [u32; 2] = [5, 6];
/// The fixed noise behind the per-epoch sample grids and `gan-gpu sample`.
pub const SAMPLE_NOISE: u32 = 7;
/// Initial weights: salt INIT + the tensor's index in its network.
pub const INIT: u32 = 100;

/// Mixed into the run's seed for the discriminator's initial weights, so
/// that its draws differ from the generator's at the same tensor index.
pub const DISC_INIT_SEED_MIX: u32 = 0x5bd1_e995;
/// Mixed into the run's seed for the per-epoch grids' fixed noise.
pub const SAMPLE_GRID_SEED_MIX: u32 = 100;
/// The dropout of the classifier `eval` uses (`gan-gpu classifier train`).
pub const CLASSIFIER_DROPOUT: u32 = 8;
