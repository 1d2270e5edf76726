//! What the ops compute, independent of how: the activations, convolution
//! geometry, the dropout rule and the optimisers' hyper-parameters. Both the GPU ops
//! (`ops`) and the CPU reference (`cpu`) follow these definitions, and the
//! tests pin them to hand-worked values, so that a mistake here cannot hide
//! behind both sides sharing it.

pub mod activation;
pub mod conv;
pub mod dropout;
pub mod optim;
