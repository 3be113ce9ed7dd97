//! The vocabulary every layer shares, free of HTTP and SQL: who is asking (roles, the current
//! user, the request's reference), the errors a form answers with, text a database can store,
//! and the ids of the clinic's records. Nothing here imports axum, sqlx or a feature; the web
//! edge and the database layer add their own impls for these types.

pub mod form;
pub mod ids;
pub mod params;
pub mod role;
pub mod user;

pub use form::FormErrors;
pub use ids::{AppointmentId, InfusionRecordId, PatientId, UserId};
pub use role::Role;
pub use user::{CurrentUser, RequestMeta};
