//! Integration tests: the real router over HTTP against a real PostgreSQL, one fresh
//! database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod account_hardening;
mod account_security;
mod accounts;
mod admin;
mod allergies;
mod audit_every_view;
mod audit_guard;
mod audit_trail;
mod bedside_alerts;
mod bedside_dose;
mod browser;
mod chair_board;
mod cli;
mod consent;
mod demo;
mod demo_tour;
mod edge;
mod errors;
mod fhir;
mod fixtures;
mod flowsheet;
mod hardening;
mod hostile_input;
mod notify;
mod own_database;
mod privacy;
mod reports;
mod scheduling;
mod screening;
mod security;
mod sessions;
mod support;
mod who_is_a_patient;
