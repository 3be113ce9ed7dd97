//! Who is asking: the person signed in (or acting before a session exists) and the request's
//! reference. The web edge fills these in for each request.

use super::Role;

/// The logged-in user, loaded from the session for each request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub name: String,
    pub email: String,
    /// The session this request came with (0 when there is none, as for a login's own entry).
    pub session_id: i64,
    /// Two-factor login is required of this account and not set up yet: until it is, every
    /// page sends the user to set it up.
    pub must_enrol_two_factor: bool,
    pub email_verified: bool,
}

impl CurrentUser {
    /// Who did something, for the audit trail, before any session exists.
    pub fn actor(id: i64, role: Role, name: String, email: String) -> CurrentUser {
        CurrentUser {
            id,
            role,
            name,
            email,
            session_id: 0,
            must_enrol_two_factor: false,
            email_verified: false,
        }
    }
}

/// Who is asking and under which reference, for the audit trail and error pages.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub request_id: String,
    pub client_addr: String,
}
