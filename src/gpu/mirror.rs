//! Rust structs that WGSL structs mirror (uniform parameters, the step
//! counter, the loss metrics): each op declares its mirror with
//! [`wgsl_mirror!`], and a test holds every one against the layout naga
//! reflects from the shader, so neither side can drift alone.

/// A `#[repr(C)]` Rust struct and the WGSL struct that mirrors it.
#[derive(Debug)]
pub struct Mirror {
    /// The Rust type, for messages.
    pub rust: &'static str,
    /// The kernel file (`shaders/NAME.wgsl`, libraries included) declaring it.
    pub shader: &'static str,
    /// The WGSL struct's name.
    pub wgsl: &'static str,
    /// Size of the Rust struct in bytes.
    pub size: usize,
    /// Every named field with its byte offset (padding fields, whose names
    /// start with `_`, are left out on both sides).
    pub fields: Vec<(&'static str, usize)>,
}

/// `wgsl_mirror!(Type, "shader", "WgslStruct", [field, ...])` builds the
/// [`Mirror`] of a struct whose fields are visible where it is called.
#[macro_export]
macro_rules! wgsl_mirror {
    ($ty:ty, $shader:literal, $wgsl:literal, [$($field:ident),* $(,)?]) => {
        $crate::gpu::mirror::Mirror {
            rust: stringify!($ty),
            shader: $shader,
            wgsl: $wgsl,
            size: std::mem::size_of::<$ty>(),
            fields: vec![$((stringify!($field), std::mem::offset_of!($ty, $field))),*],
        }
    };
}
