//! Training data: IDX image and label files (MNIST's format), gzipped or
//! not, folders of PNG/JPEG images, and the class labels of conditional
//! training.

pub mod classes;
#[cfg(not(target_arch = "wasm32"))]
pub mod folder;
pub mod idx;

pub use classes::{class_index, read_training_classes, Classes};

pub use idx::{
    find_idx_file, find_training_images, images_from_bytes, labels_from_bytes, read_images,
    read_labels, Images, Labels,
};
