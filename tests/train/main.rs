//! The training job on the GPU, one module per concern: the step against
//! the CPU reference, a run's outputs and resume, bad data, the command
//! line, the Keras export, bad input, signals and pipes.

mod common;

mod cli;
mod data_errors;
mod durability;
mod export;
mod fuzz;
mod robustness;
mod run;
mod step;
