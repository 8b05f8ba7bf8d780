//! Renderers: they format a `Summary` or a `Model` and compute no statistics.

pub mod graph;
pub mod text;
