//! gan-gpu: a DCGAN trained with hand-written WGSL compute shaders.
//!
//! - [`gpu`]: adapter, device, tensors, kernel registry, recorded programs.
//! - [`ops`]: one module per shader file in `shaders/`, recording dispatches.
//! - [`cpu`]: the plain-Rust reference of every op, the tests' oracle.
//! - [`spec`]: what the ops compute (geometry, dropout rule, optimiser
//!   hyper-parameters), shared by `ops` and `cpu` and pinned by tests.
//! - [`model`]: the seed's generator and discriminator as recorded programs.
//! - [`train`]: the GAN schedule, checkpoints and outputs; [`data`]: IDX files.
//! - [`eval`]: sample quality as numbers (FID, KID, coverage, precision and
//!   recall) with a classifier trained on the same kernels.

#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod cpu;
pub mod data;
pub mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
pub mod gpu;
pub mod model;
pub mod ops;
pub mod shaders;
pub mod spec;
pub mod train;

pub use error::{Error, Result};
