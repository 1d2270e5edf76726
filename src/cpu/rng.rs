//! Reference for `shaders/lib/rng.wgsl`: the same counter-based hash, bit for bit.

pub fn pcg_hash(v: u32) -> u32 {
    let state = v.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
    (word >> 22) ^ word
}

pub fn key(seed: u32, salt: u32, counter: u32) -> u32 {
    pcg_hash(seed ^ pcg_hash(salt ^ pcg_hash(counter)))
}

pub fn draw_u32(key: u32, i: u32) -> u32 {
    pcg_hash(key ^ pcg_hash(i))
}

pub fn uniform(key: u32, i: u32) -> f64 {
    (draw_u32(key, i) >> 8) as f64 / 16777216.0
}

pub fn normal(key: u32, i: u32) -> f64 {
    let u1 = ((draw_u32(key, 2 * i) >> 8) as f64 + 1.0) / 16777216.0;
    let u2 = (draw_u32(key, 2 * i + 1) >> 8) as f64 / 16777216.0;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `len` draws from U[lo, hi).
pub fn fill_uniform(len: usize, seed: u32, salt: u32, counter: u32, lo: f64, hi: f64) -> Vec<f64> {
    let k = key(seed, salt, counter);
    (0..len as u32)
        .map(|i| lo + (hi - lo) * uniform(k, i))
        .collect()
}

/// `len` draws from N(mean, std²).
pub fn fill_normal(
    len: usize,
    seed: u32,
    salt: u32,
    counter: u32,
    mean: f64,
    std: f64,
) -> Vec<f64> {
    let k = key(seed, salt, counter);
    (0..len as u32).map(|i| mean + std * normal(k, i)).collect()
}
