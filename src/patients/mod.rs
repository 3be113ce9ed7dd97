//! The clinical person: identity and demographics.

pub mod model;
