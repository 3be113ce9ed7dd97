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
    #[error("the request was larger than the server accepts")]
    PayloadTooLarge,
    /// The app cannot answer now but should soon (no hashing slot free in time, the request
    /// ran too long): 503 with Retry-After. The text goes to the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// What a 503 tells the client to wait before trying again.
pub const RETRY_AFTER_SECONDS: u32 = 10;

/// The database is away or overwhelmed (not a bug in a query): the pool is closed or has no
/// connection to give, the connection broke, or the server refuses connections for now.
pub fn is_database_outage(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exceptions; 57P0x: the server shutting down or not yet
            // accepting connections; 53300: too many connections; 3D000: the database is gone.
            code.starts_with("08")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300" | "3D000")
        }),
        _ => false,
    }
}

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
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(e) if is_database_outage(e) => StatusCode::SERVICE_UNAVAILABLE,
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
            AppError::PayloadTooLarge => (
                "Too much to send",
                "What you sent was larger than the clinic system accepts, so nothing was saved. Go back, shorten it (or leave out the long part) and try again.",
            ),
            AppError::Unavailable(_) => (
                "Busy",
                "The clinic system is busy right now and nothing was changed. Please try again in a moment.",
            ),
            AppError::Database(e) if is_database_outage(e) => (
                "Temporarily unavailable",
                "The clinic system cannot reach its records right now and nothing was changed. Please try again in a few minutes.",
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
        let status = self.status();
        let mut response = (status, self.page().message.clone()).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECONDS),
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_an_outage_and_a_bad_query_is_not() {
        assert!(is_database_outage(&sqlx::Error::PoolClosed));
        assert!(is_database_outage(&sqlx::Error::PoolTimedOut));
        assert!(is_database_outage(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset
        ))));
        assert!(!is_database_outage(&sqlx::Error::RowNotFound));
        assert!(!is_database_outage(&sqlx::Error::ColumnNotFound(
            "x".into()
        )));
    }

    #[test]
    fn unavailable_answers_carry_retry_after() {
        for error in [
            AppError::Unavailable("no hashing slot".into()),
            AppError::Database(sqlx::Error::PoolClosed),
        ] {
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response.headers()[axum::http::header::RETRY_AFTER],
                RETRY_AFTER_SECONDS.to_string().as_str()
            );
        }
        let response = AppError::Internal("bug".into()).into_response();
        assert!(
            !response
                .headers()
                .contains_key(axum::http::header::RETRY_AFTER)
        );
    }
}
