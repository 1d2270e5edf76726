//! Training data: IDX image and label files (MNIST's format), gzipped or
//! not, and the class labels of conditional training.

pub mod classes;
pub mod idx;

pub use classes::{class_index, read_training_classes, Classes};

pub use idx::{
    find_idx_file, find_training_images, images_from_bytes, labels_from_bytes, read_images,
    read_labels, Images, Labels,
};
