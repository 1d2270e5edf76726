//! The random streams of training. Every random number is a pure function
//! of (seed, salt, step counter, element index) (`shaders/lib/rng.wgsl`),
//! so each stream that must differ from the others gets a salt of its own
//! here, and the CPU reference draws the same streams from the same salts.

/// The generator's noise in the discriminator's step.
pub const NOISE_D_STEP: u32 = 1;
/// The generator's noise in its own step.
pub const NOISE_G_STEP: u32 = 2;
/// Dropout after the discriminator's convolution `i` (0-based), in its
/// own step: 3 and 4 after the seed's two, then 9, 11, … in deeper
/// networks.
pub fn dropout_d_step(i: usize) -> u32 {
    match i {
        0 => 3,
        1 => 4,
        _ => 9 + 2 * (i as u32 - 2),
    }
}

/// The same in the generator's step (through the frozen discriminator):
/// 5 and 6, then 10, 12, ….
pub fn dropout_g_step(i: usize) -> u32 {
    match i {
        0 => 5,
        1 => 6,
        _ => 10 + 2 * (i as u32 - 2),
    }
}
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
/// The random shifts of the classifier's training images (`--shift`);
/// above every per-layer dropout salt and every INIT + index.
pub const CLASSIFIER_SHIFT: u32 = 1 << 16;
