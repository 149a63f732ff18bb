//! `#[derive(DynaItem)]` for dynafile's typed API.
//!
//! This crate is a placeholder: the derive macro arrives with the typed API.
