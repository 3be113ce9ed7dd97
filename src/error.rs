//! The one error type. Handlers return `Result<_, AppError>`; the response carries an
//! [`ErrorPage`] marker that `web::error_pages` turns into a page in the site's layout.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("not allowed for this account")]
    Forbidden,
    /// Something the user can fix; the message is shown to them.
    #[error("{0}")]
    BadRequest(String),
    #[error("the form had expired or came from another site")]
    Csrf,
    #[error("too many attempts")]
    TooManyRequests,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// Carried in the response extensions so the outer layer can render the page with the
/// user's navigation and the request id. `detail` goes to the log only.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
    pub detail: Option<String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Database(sqlx::Error::PoolTimedOut) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    pub fn page(&self) -> ErrorPage {
        let (title, message) = match self {
            AppError::NotFound => (
                "Page not found",
                "There is no page at this address. Check the link, or go back to your home page.",
            ),
            AppError::Forbidden => (
                "Not allowed",
                "Your account does not have access to this page. If you think it should, ask the clinic's administrator.",
            ),
            AppError::BadRequest(message) => ("Please check your request", message.as_str()),
            AppError::Csrf => (
                "Please try again",
                "The form had expired or did not come from this site, so nothing was saved. Go back, reload the page and submit it again.",
            ),
            AppError::TooManyRequests => (
                "Too many attempts",
                "Too many attempts were made from here. Wait a few minutes and try again.",
            ),
            AppError::Database(sqlx::Error::PoolTimedOut) => (
                "Busy",
                "The clinic system is busy right now. Please try again in a moment.",
            ),
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => (
                "Something went wrong",
                "Something went wrong on our side and nothing was changed. Please try again; if it keeps happening, tell the clinic and quote the reference below.",
            ),
        };
        let detail = self.status().is_server_error().then(|| self.to_string());
        ErrorPage {
            title,
            message: message.to_owned(),
            detail,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.page().message.clone()).into_response();
        response.extensions_mut().insert(self.page());
        response
    }
}

/// The name of a violated constraint, so callers can turn unique/foreign-key violations
/// into form errors without check-then-insert races.
pub fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}
