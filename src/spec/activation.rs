//! The activations the model uses, shared by `ops::activations` and
//! `cpu::activations`.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// x for x > 0, else slope · x.
    LeakyRelu(f32),
    /// Klambauer et al.'s scaled ELU with Keras' constants.
    Selu,
    Tanh,
}
