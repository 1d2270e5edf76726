//! The binary's own parts: the `train` and `classifier` flags and the
//! signals. Everything
//! else lives in the library.

pub mod classifier;
pub mod eval;
pub mod signals;
pub mod train;
