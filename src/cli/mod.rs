//! The binary's own parts: the `train` flags and the signals. Everything
//! else lives in the library.

pub mod signals;
pub mod train;
