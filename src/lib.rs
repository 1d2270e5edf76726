//! gan-gpu: a DCGAN trained with hand-written WGSL compute shaders.
//!
//! - [`gpu`]: adapter, device, tensors, kernel registry, recorded programs.
//! - [`ops`]: one module per shader file in `shaders/`, recording dispatches.
//! - [`cpu`]: the plain-Rust reference of every op, the tests' oracle.
//! - [`model`]: the seed's generator and discriminator as recorded programs.
//! - [`train`]: the GAN schedule, checkpoints and outputs; [`data`]: IDX files.

pub mod bench;
pub mod cpu;
pub mod data;
pub mod error;
pub mod gpu;
pub mod model;
pub mod ops;
pub mod shaders;
pub mod train;

pub use error::{Error, Result};
