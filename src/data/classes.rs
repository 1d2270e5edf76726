//! Class labels for conditional training (`--conditional`): the IDX label
//! file beside the images, and the classes' names. Fashion-MNIST's names
//! are built in, recognised by the labels themselves; other label sets are
//! named by their numbers.

use super::idx::{find_idx_file, read_labels};
use crate::error::{Error, Result};
use crate::model::classifier::FASHION_MNIST_CLASSES;
use std::path::Path;

/// CRC-32 of Fashion-MNIST's 60,000 training labels and its 10,000 test
/// labels (the bytes after the IDX header): a fingerprint that tells them
/// from another 10-class set such as MNIST's digits.
const FASHION_MNIST_LABEL_CRC32: [u32; 2] = [0x2ed6_e46a, 0x242b_c73f];

/// Every image's class and the classes' names.
#[derive(Clone, Debug, PartialEq)]
pub struct Classes {
    /// One class index per image.
    pub labels: Vec<u8>,
    pub names: Vec<String>,
}

impl Classes {
    /// Labels with their names: Fashion-MNIST's when these are its labels,
    /// else the numbers 0 to the largest label.
    pub fn named(labels: Vec<u8>) -> Classes {
        let names = if FASHION_MNIST_LABEL_CRC32.contains(&crc32fast::hash(&labels)) {
            FASHION_MNIST_CLASSES
                .iter()
                .map(|n| n.to_string())
                .collect()
        } else {
            let count = labels.iter().max().map_or(0, |&m| m as usize + 1);
            (0..count).map(|c| c.to_string()).collect()
        };
        Classes { labels, names }
    }

    /// Keeps the labels of the first `n` images (the names stay).
    pub fn truncate(&mut self, n: usize) {
        self.labels.truncate(n);
    }
}

/// The training labels in `dir` (`train-labels-idx1-ubyte[.gz]`), one per
/// training image, named as [`Classes::named`] says.
pub fn read_training_classes(dir: &Path, images: usize) -> Result<Classes> {
    let path = find_idx_file(dir, "train-labels-idx1-ubyte").map_err(|e| match e {
        Error::Data { path, msg } => Error::Data {
            path,
            msg: format!("{msg}: --conditional needs the training labels beside the images"),
        },
        e => e,
    })?;
    let labels = read_labels(&path, images, 256)?;
    Ok(Classes::named(labels.values))
}

/// The class `query` names among `names`: a number, or a name in any case,
/// with or without its spaces and punctuation ("sneaker", "Ankle boot",
/// "ankle-boot"), or one part of a name with a '/' ("T-shirt").
pub fn class_index(names: &[String], query: &str) -> Result<usize> {
    let key = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let q = key(query);
    let by_name = names
        .iter()
        .position(|n| key(n) == q || (n.contains('/') && n.split('/').any(|part| key(part) == q)));
    let by_number = query
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&i| i < names.len());
    by_name.or(by_number).ok_or_else(|| {
        Error::Config(format!(
            "--class {query:?} is not one of this model's {} classes: {} (a name or a number from 0 to {})",
            names.len(),
            names.join(", "),
            names.len().saturating_sub(1)
        ))
    })
}
