//! The CPU reference: a plain, obviously-correct f64 implementation of
//! every GPU op, forward and backward. It is the oracle the parity tests hold
//! the shaders against, never a fast path. Convolutions here are direct
//! loops, not im2col, so they check the GPU's lowering rather than repeat it.

pub mod activations;
pub mod batchnorm;
pub mod classifier;
pub mod conv;
pub mod data;
pub mod dropout;
pub mod ema;
pub mod embedding;
pub mod loss;
pub mod matmul;
pub mod model;
pub mod optim;
pub mod reduce;
pub mod rng;
pub mod spectral_norm;
