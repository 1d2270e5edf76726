//! Dropout's keep rule, shared by `ops::dropout` and `cpu::dropout`: an
//! element is kept when its random u32 is at least `threshold(rate)`, and
//! scaled by `scale(rate)`. Integer comparison makes the mask bit-identical
//! on every device.

/// The u32 threshold below which an element is dropped: rate · 2³².
pub fn threshold(rate: f32) -> u32 {
    (rate as f64 * 4294967296.0).min(u32::MAX as f64) as u32
}

/// The factor a kept element is multiplied by (inverted dropout).
pub fn scale(rate: f32) -> f32 {
    1.0 / (1.0 - rate)
}
