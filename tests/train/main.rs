//! The training job on the GPU, one module per concern: a run's outputs
//! and resume, bad data, the command line, the Keras export, bad input,
//! signals and pipes. The step against the CPU reference is `tests/step.rs`.
// Native only: runs, files, the command line and signals.
#![cfg(not(target_arch = "wasm32"))]

mod common;

mod cli;
mod conditional;
mod data_errors;
mod durability;
mod export;
mod folders;
mod fuzz;
mod interpolate;
mod robustness;
mod run;
