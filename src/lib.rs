//! clinic: patient intake and treatment tracking for ketamine infusion clinics.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod clinic_time;
pub mod clock;
pub mod config;
pub mod consent;
pub mod core;
pub mod database;
pub mod demo;
pub mod error;
pub mod export;
pub mod flowsheet;
pub mod home;
pub mod login;
pub mod notify;
pub mod outcomes;
pub mod patients;
pub mod reports;
pub mod scheduling;
pub mod screening;
pub mod settings;
pub mod state;
pub mod telemetry;
pub mod web;

pub use app::app;
pub use state::AppState;
