//! The IDX format (LeCun's MNIST files): a 4-byte magic number — two zero
//! bytes, the element type (0x08 = unsigned byte), the number of
//! dimensions — then each dimension as a big-endian u32, then the data.
//! Every check names the file and what is wrong with it.

use crate::error::{io_err, Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Images, row-major, one byte per channel of a pixel, channels last
/// (grey: 1, RGB: 3).
#[derive(Clone)]
pub struct Images {
    pub count: usize,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub pixels: Vec<u8>,
}

impl Images {
    /// Bytes per image.
    pub fn image_len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// Keeps only the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        self.count = self.count.min(n);
        self.pixels.truncate(self.count * self.image_len());
    }
}

fn data_err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// `raw` as a byte stream, gunzipped when it starts with gzip's magic.
fn maybe_gunzip<'a>(path: &Path, mut raw: impl Read + 'a) -> Result<Box<dyn Read + 'a>> {
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut raw, &mut magic).map_err(io_err(path))?;
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let stream = head.chain(raw);
    Ok(if magic[..n] == [0x1f, 0x8b] {
        Box::new(flate2::read::GzDecoder::new(stream))
    } else {
        Box::new(stream)
    })
}

/// Fills as much of `buf` as the stream holds; the count read.
fn read_up_to(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Reads `len` bytes of the IDX file at `path` from `r`, naming what was
/// being read when the stream ends early or is corrupt.
fn read_exact_named(path: &Path, r: &mut dyn Read, len: usize, what: &str) -> Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    let got = read_up_to(r, &mut out).map_err(|e| gzip_or_io(path, e))?;
    if got < len {
        return Err(data_err(
            path,
            format!("the file ends inside the {what}: {got} of {len} bytes"),
        ));
    }
    Ok(out)
}

fn gzip_or_io(path: &Path, e: std::io::Error) -> Error {
    if matches!(
        e.kind(),
        std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::UnexpectedEof
    ) {
        data_err(path, format!("not a valid gzip file: {e}"))
    } else {
        Error::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// Reads an IDX header from the stream: (element type, dimensions).
fn read_header(path: &Path, r: &mut dyn Read) -> Result<(u8, Vec<usize>)> {
    let mut magic = [0u8; 4];
    let got = read_up_to(r, &mut magic).map_err(|e| gzip_or_io(path, e))?;
    if got < 4 {
        return Err(data_err(
            path,
            format!("{got} bytes is too short for an IDX header"),
        ));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(data_err(
            path,
            format!(
                "bad magic number {:02x}{:02x}{:02x}{:02x}: IDX files start with two zero bytes",
                magic[0], magic[1], magic[2], magic[3]
            ),
        ));
    }
    let (kind, ndim) = (magic[2], magic[3] as usize);
    let dims = read_exact_named(path, r, 4 * ndim, &format!("header of {ndim} dimensions"))?;
    let dims = dims
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()) as usize)
        .collect();
    Ok((kind, dims))
}

/// Reads a file of images (IDX type 0x08, 3 dimensions: count, rows, cols).
/// The header is read first; then at most the bytes it promises, plus one
/// to detect trailing data, so a corrupt or hostile file (a gzip bomb)
/// cannot make the reader inflate more than the header declares.
pub fn read_images(path: &Path) -> Result<Images> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    parse_images(path, std::io::BufReader::new(file))
}

/// [`read_images`] on bytes already in memory; `path` only names them in
/// errors. The fuzz targets and tests call this.
pub fn images_from_bytes(path: &Path, bytes: &[u8]) -> Result<Images> {
    parse_images(path, bytes)
}

fn parse_images(path: &Path, raw: impl Read) -> Result<Images> {
    let mut r = maybe_gunzip(path, raw)?;
    let (kind, dims) = read_header(path, &mut r)?;
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
    let promise =
        format!("the header promises {count} images of {height}x{width} = {want} bytes of pixels");
    let mut pixels = Vec::new();
    r.take(want as u64 + 1)
        .read_to_end(&mut pixels)
        .map_err(|e| gzip_or_io(path, e))?;
    if pixels.len() < want {
        return Err(data_err(
            path,
            format!("truncated: {promise}, the file holds {}", pixels.len()),
        ));
    }
    if pixels.len() > want {
        return Err(data_err(
            path,
            format!("has trailing bytes: {promise}, the file holds more"),
        ));
    }
    Ok(Images {
        count,
        channels: 1,
        height,
        width,
        pixels,
    })
}

/// Class labels, one byte per image (IDX type 0x08, 1 dimension).
#[derive(Clone, Debug, PartialEq)]
pub struct Labels {
    pub values: Vec<u8>,
}

/// Reads a label file and checks it against the images it belongs to: one
/// label per image, each below `classes`.
pub fn read_labels(path: &Path, images: usize, classes: usize) -> Result<Labels> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    labels_from_bytes(path, std::io::BufReader::new(file), images, classes)
}

/// [`read_labels`] on a byte stream; `path` only names it in errors.
pub fn labels_from_bytes(
    path: &Path,
    raw: impl Read,
    images: usize,
    classes: usize,
) -> Result<Labels> {
    let mut r = maybe_gunzip(path, raw)?;
    let (kind, dims) = read_header(path, &mut r)?;
    if kind != 0x08 || dims.len() != 1 {
        return Err(data_err(
            path,
            format!(
                "element type 0x{kind:02x} with dimensions {dims:?}: label files hold unsigned bytes (0x08) in 1 dimension"
            ),
        ));
    }
    if dims[0] != images {
        return Err(data_err(
            path,
            format!("{} labels for {images} images", dims[0]),
        ));
    }
    let values = read_exact_named(path, &mut r, images, "labels")?;
    if let Some(i) = values.iter().position(|&v| v as usize >= classes) {
        return Err(data_err(
            path,
            format!(
                "label {} of image {i} is not a class (there are {classes})",
                values[i]
            ),
        ));
    }
    Ok(Labels { values })
}

/// The IDX file `stem` (e.g. "train-images-idx3-ubyte") in `dir`, under
/// the names MNIST-style sets use: gzipped or not, '-' or '.' before "idx".
pub fn find_idx_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    let dotted = stem.replacen("-idx", ".idx", 1);
    let names = [
        format!("{stem}.gz"),
        stem.to_string(),
        format!("{dotted}.gz"),
        dotted,
    ];
    if !dir.is_dir() {
        return Err(data_err(dir, "no such data directory"));
    }
    names
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            data_err(
                dir,
                format!("no {stem} here (looked for {})", names.join(", ")),
            )
        })
}

/// The training-image file in `dir`, under the names MNIST-style sets use.
pub fn find_training_images(dir: &Path) -> Result<PathBuf> {
    find_idx_file(dir, "train-images-idx3-ubyte")
}
