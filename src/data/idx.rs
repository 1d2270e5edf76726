//! The IDX format (LeCun's MNIST files): a 4-byte magic number — two zero
//! bytes, the element type (0x08 = unsigned byte), the number of
//! dimensions — then each dimension as a big-endian u32, then the data.
//! Every check names the file and what is wrong with it.

use crate::error::{io_err, Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Grey-scale images, row-major, one byte per pixel.
#[derive(Clone)]
pub struct Images {
    pub count: usize,
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<u8>,
}

impl Images {
    /// Keeps only the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        self.count = self.count.min(n);
        self.pixels.truncate(self.count * self.height * self.width);
    }
}

fn data_err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// The file's bytes, gunzipped when it starts with gzip's magic.
fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(io_err(path))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| data_err(path, format!("not a valid gzip file: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses an IDX header: (element type, dimensions, header length).
fn parse_header(path: &Path, bytes: &[u8]) -> Result<(u8, Vec<usize>, usize)> {
    if bytes.len() < 4 {
        return Err(data_err(
            path,
            format!("{} bytes is too short for an IDX header", bytes.len()),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(data_err(
            path,
            format!(
                "bad magic number {:02x}{:02x}{:02x}{:02x}: IDX files start with two zero bytes",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    let (kind, ndim) = (bytes[2], bytes[3] as usize);
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(data_err(
            path,
            format!(
                "the header declares {ndim} dimensions but the file ends after {} bytes",
                bytes.len()
            ),
        ));
    }
    let dims = (0..ndim)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    Ok((kind, dims, header))
}

/// Reads a file of images (IDX type 0x08, 3 dimensions: count, rows, cols).
pub fn read_images(path: &Path) -> Result<Images> {
    let bytes = read_maybe_gzip(path)?;
    let (kind, dims, header) = parse_header(path, &bytes)?;
    if kind != 0x08 {
        return Err(data_err(
            path,
            format!(
                "element type 0x{kind:02x} is not unsigned bytes (0x08); is this an image file?"
            ),
        ));
    }
    if dims.len() != 3 {
        return Err(data_err(
            path,
            format!(
                "{} dimensions {dims:?}: image files have 3 (count, rows, columns)",
                dims.len()
            ),
        ));
    }
    let (count, height, width) = (dims[0], dims[1], dims[2]);
    if count == 0 || height == 0 || width == 0 {
        return Err(data_err(path, format!("dimensions {dims:?} hold no image")));
    }
    let want = count
        .checked_mul(height)
        .and_then(|v| v.checked_mul(width))
        .ok_or_else(|| data_err(path, format!("dimensions {dims:?} overflow")))?;
    let have = bytes.len() - header;
    if have != want {
        let what = if have < want {
            "truncated"
        } else {
            "has trailing bytes"
        };
        return Err(data_err(
            path,
            format!("{what}: the header promises {count} images of {height}x{width} = {want} bytes of pixels, the file holds {have}"),
        ));
    }
    Ok(Images {
        count,
        height,
        width,
        pixels: bytes[header..].to_vec(),
    })
}

/// The training-image file in `dir`, under the names MNIST-style sets use.
pub fn find_training_images(dir: &Path) -> Result<PathBuf> {
    const NAMES: [&str; 4] = [
        "train-images-idx3-ubyte.gz",
        "train-images-idx3-ubyte",
        "train-images.idx3-ubyte.gz",
        "train-images.idx3-ubyte",
    ];
    if !dir.is_dir() {
        return Err(data_err(dir, "no such data directory"));
    }
    NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            data_err(
                dir,
                format!("no training images here (looked for {})", NAMES.join(", ")),
            )
        })
}
