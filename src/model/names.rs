//! Tensor names, as checkpoints, the Keras export and the CPU reference
//! spell them: `{net}/{param}` for a network's parameters,
//! `generator/bn{i}.running` for the batch norms' running statistics and
//! `optimizer/{net}/{k}/{param}` for optimiser state buffer k.

pub const GENERATOR: &str = "generator";
pub const DISCRIMINATOR: &str = "discriminator";
/// The moving average of the generator (`--ema`): the generator's names
/// under this prefix, running statistics included.
pub const GENERATOR_EMA: &str = "generator_ema";
/// Both networks, in checkpoint order.
pub const NETS: [&str; 2] = [GENERATOR, DISCRIMINATOR];

/// Parameter `param` (as in the network's `ParamSpec`) of `net`.
pub fn param(net: &str, param: &str) -> String {
    format!("{net}/{param}")
}

/// The running statistics [μ, σ²] of the generator's batch norm `layer`
/// (1-based, as in `bn1`).
pub fn running(layer: usize) -> String {
    format!("{GENERATOR}/bn{layer}.running")
}

/// Optimiser state buffer `k` (Adam: 0 = m, 1 = v; RMSprop: 0 = v) of
/// parameter `param` of `net`.
pub fn optimizer_state(net: &str, k: usize, param: &str) -> String {
    format!("optimizer/{net}/{k}/{param}")
}

/// The prefix every name of `net`'s parameters starts with.
pub fn param_prefix(net: &str) -> String {
    format!("{net}/")
}

/// The prefix of `net`'s optimiser state buffer `k`.
pub fn optimizer_prefix(net: &str, k: usize) -> String {
    format!("optimizer/{net}/{k}/")
}
