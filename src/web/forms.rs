//! What a page with a form answers with over HTTP; the errors themselves are `core::FormErrors`.

use axum::http::StatusCode;

pub use crate::core::FormErrors;

impl FormErrors {
    /// The status a page with this form answers with: 422 while anything needs correcting.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}
