//! Every GPU op against its CPU reference (parity on seeded random inputs),
//! every CPU backward against finite differences, and the shape errors.
//! One module per op family, named like its shader and its reference.

mod common;

mod activations;
mod batchnorm;
mod conv;
mod data;
mod dropout;
mod loss;
mod matmul;
mod optim;
mod random;
mod reduce;
mod shaders;
