//! gan-gpu: a DCGAN trained with hand-written WGSL compute shaders.
//!
//! - [`gpu`]: adapter, device, tensors, kernel registry, recorded programs.
//! - [`ops`]: one module per shader file in `shaders/`, recording dispatches.
//! - [`cpu`]: the plain-Rust reference of every op, the tests' oracle.

pub mod cpu;
pub mod error;
pub mod gpu;
pub mod ops;
pub mod shaders;

pub use error::{Error, Result};
