//! Training images from a folder of PNG and JPEG files, searched
//! recursively: each decoded once, centre-cropped to a square, resized to
//! the training size, as grey or RGB. For a conditional run the first
//! folder level below the root names each image's class.

use super::classes::Classes;
use super::idx::Images;
use crate::error::{io_err, Error, Result};
use image::imageops::FilterType;
use image::DynamicImage;
use std::path::{Path, PathBuf};

/// The image sizes the networks are built for (`--image-size`).
pub const IMAGE_SIZES: [usize; 4] = [28, 32, 48, 64];
/// `--image-size` for a folder when none is given.
pub const DEFAULT_IMAGE_SIZE: usize = 32;

/// How a folder's images become training images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FolderOptions {
    /// Side of the square the images are resized to.
    pub size: usize,
    /// 1 (grey) or 3 (RGB); none: RGB if any image has colour, else grey.
    pub channels: Option<usize>,
}

fn data_err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

fn is_image_file(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    ["png", "jpg", "jpeg"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

/// Every PNG/JPEG file under `dir`, in sorted order (so that a folder
/// always gives the same data set), and how many other files were passed
/// over.
pub fn image_files(dir: &Path) -> Result<(Vec<PathBuf>, usize)> {
    let mut files = Vec::new();
    let mut others = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).map_err(io_err(&d))? {
            let path = entry.map_err(io_err(&d))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if is_image_file(&path) {
                files.push(path);
            } else {
                others += 1;
            }
        }
    }
    files.sort();
    Ok((files, others))
}

/// The centre square of `img`, resized to `size` × `size`.
fn square(img: &DynamicImage, size: usize) -> DynamicImage {
    let (w, h) = (img.width(), img.height());
    let side = w.min(h);
    let cropped = img.crop_imm((w - side) / 2, (h - side) / 2, side, side);
    cropped.resize_exact(size as u32, size as u32, FilterType::Triangle)
}

/// Reads the images under `dir` (`on_file` is called after each, for a
/// progress bar). A file that does not decode is an error naming it; files
/// that are not PNG or JPEG are passed over (the log says how many). With
/// `conditional`, each image's class is its folder below `dir`, named by
/// the folders' names in sorted order.
pub fn read_folder(
    dir: &Path,
    opts: FolderOptions,
    conditional: bool,
    mut on_file: impl FnMut(usize, usize),
) -> Result<(Images, Option<Classes>)> {
    if !IMAGE_SIZES.contains(&opts.size) {
        return Err(Error::Config(format!(
            "--image-size {}: the networks are built for {IMAGE_SIZES:?}",
            opts.size
        )));
    }
    if let Some(c) = opts.channels.filter(|c| ![1, 3].contains(c)) {
        return Err(Error::Config(format!(
            "--channels {c}: 1 (grey) or 3 (RGB)"
        )));
    }
    let (files, others) = image_files(dir)?;
    if files.is_empty() {
        return Err(data_err(
            dir,
            format!(
                "no PNG or JPEG images here, and no train-images-idx3-ubyte ({others} other files)"
            ),
        ));
    }
    if others > 0 {
        log::info!(
            "{}: passed over {others} files that are not PNG or JPEG",
            dir.display()
        );
    }
    let class_of = |path: &Path| -> Result<String> {
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let mut parts = rel.components();
        match (parts.next(), parts.next()) {
            (Some(folder), Some(_)) => Ok(folder.as_os_str().to_string_lossy().into_owned()),
            _ => Err(data_err(
                path,
                "--conditional takes each image's class from its folder, and this image is in none (put it in a class folder)",
            )),
        }
    };
    let mut decoded = Vec::with_capacity(files.len());
    let mut any_colour = false;
    for (i, path) in files.iter().enumerate() {
        // The format comes from the bytes, so a JPEG named .png still reads.
        let img = image::ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(io_err(path))?
            .decode()
            .map_err(|e| data_err(path, format!("is not a readable image: {e}")))?;
        any_colour |= img.color().has_color();
        decoded.push(square(&img, opts.size));
        on_file(i + 1, files.len());
    }
    let channels = opts.channels.unwrap_or(if any_colour { 3 } else { 1 });
    let mut pixels = Vec::with_capacity(files.len() * opts.size * opts.size * channels);
    for img in &decoded {
        match channels {
            1 => pixels.extend_from_slice(img.to_luma8().as_raw()),
            _ => pixels.extend_from_slice(img.to_rgb8().as_raw()),
        }
    }
    let classes = match conditional {
        false => None,
        true => {
            let folders: Vec<String> = files.iter().map(|p| class_of(p)).collect::<Result<_>>()?;
            let mut names = folders.clone();
            names.sort();
            names.dedup();
            if names.len() > 256 {
                return Err(data_err(
                    dir,
                    format!("{} class folders: at most 256 classes", names.len()),
                ));
            }
            let labels = folders
                .iter()
                .map(|f| names.iter().position(|n| n == f).expect("listed above") as u8)
                .collect();
            Some(Classes { labels, names })
        }
    };
    let images = Images {
        count: files.len(),
        height: opts.size,
        width: opts.size,
        channels,
        pixels,
    };
    Ok((images, classes))
}
