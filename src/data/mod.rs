//! Training data: IDX image files (MNIST's format), gzipped or not.

pub mod idx;

pub use idx::{find_training_images, read_images, Images};
