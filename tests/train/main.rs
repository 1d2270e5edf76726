//! The training job on the GPU, one module per concern: the step against
//! the CPU reference, a run's outputs and resume, bad data, the command
//! line, the Keras export.

mod common;

mod cli;
mod data_errors;
mod export;
mod run;
mod step;
