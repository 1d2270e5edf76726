//! Training data: IDX image files (MNIST's format), gzipped or not.

pub mod idx;

pub use idx::{find_training_images, images_from_bytes, read_images, Images};
