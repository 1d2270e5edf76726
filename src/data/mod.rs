//! Training data: IDX image and label files (MNIST's format), gzipped or not.

pub mod idx;

pub use idx::{
    find_idx_file, find_training_images, images_from_bytes, labels_from_bytes, read_images,
    read_labels, Images, Labels,
};
