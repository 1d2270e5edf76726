//! One error type for the crate: every failure a user can cause names the
//! thing at fault (the op and its shapes, the file and what is wrong with it).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no GPU adapter found{filter}. Adapters seen: {seen}. On Linux without a GPU install \
         Mesa's software Vulkan driver: `apt-get install -y mesa-vulkan-drivers libvulkan1`; \
         elsewhere install your GPU's Vulkan, Metal or DX12 driver"
    )]
    NoAdapter { filter: String, seen: String },

    #[error("could not open a device on adapter '{adapter}': {msg}")]
    Device { adapter: String, msg: String },

    #[error("{op}: {msg}")]
    Shape { op: String, msg: String },

    /// A size the shapes allow but this device cannot hold or dispatch.
    #[error("{op}: {msg}")]
    DeviceLimit { op: String, msg: String },

    /// An op's argument outside its domain (a rate, a step size).
    #[error("{op}: {msg}")]
    Argument { op: String, msg: String },

    #[error("GPU error in {context}: {msg}")]
    Gpu { context: String, msg: String },

    #[error("{}: {msg}", path.display())]
    Data { path: PathBuf, msg: String },

    /// An output file (image, plot) that could not be written.
    #[error("writing {}: {msg}", path.display())]
    Output { path: PathBuf, msg: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("checkpoint {}: {msg}", path.display())]
    Checkpoint { path: PathBuf, msg: String },

    #[error("{0}")]
    Config(String),

    /// Training produced non-finite losses.
    #[error("{0}")]
    Diverged(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Builds a shape error for `op`.
pub fn shape_err<T>(op: &str, msg: impl Into<String>) -> Result<T> {
    Err(Error::Shape {
        op: op.to_string(),
        msg: msg.into(),
    })
}

/// Builds a device-limit error for `op`.
pub fn limit_err<T>(op: &str, msg: impl Into<String>) -> Result<T> {
    Err(Error::DeviceLimit {
        op: op.to_string(),
        msg: msg.into(),
    })
}

/// Attaches a path to an I/O error.
pub fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
