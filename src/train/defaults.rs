//! Every default of `gan-gpu train` (and of the benchmark's training step),
//! stated once. `gan-gpu train --help` shows them; a test holds its text to
//! these values.

pub const EPOCHS: usize = 50;
pub const BATCH_SIZE: usize = 32;
pub const LATENT_DIM: usize = 100;
pub const SEED: u64 = 42;
pub const LOG_EVERY: usize = 20;
/// Adam's learning rate (the DCGAN paper's).
pub const ADAM_LR: f32 = 2e-4;
/// RMSprop's learning rate (the seed's, Keras' default).
pub const RMSPROP_LR: f32 = 1e-3;
/// The moving average's decay `--recipe conditional` keeps (`--ema`).
pub const EMA_DECAY: f32 = 0.999;
