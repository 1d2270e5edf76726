//! Every GPU op against its CPU reference (parity on seeded random inputs),
//! every CPU backward against finite differences, and the shape errors.
//! One module per op family, named like its shader and its reference.

//!
//! The same cases run natively (`cargo test --test ops`) and in a browser
//! through WebGPU (`scripts/web-test.sh`): each test is async, driven by
//! pollster natively and by wasm-bindgen-test in the browser.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

mod activations;
mod batchnorm;
mod conv;
mod data;
mod dropout;
mod ema;
mod embedding;
mod loss;
mod matmul;
mod optim;
mod random;
mod reduce;
mod runtime;
mod spectral_norm;
// Reads the source tree and the README: native only.
#[cfg(not(target_arch = "wasm32"))]
mod shaders;
