//! The route table: every route is declared with who may use it, so the router cannot hold a
//! route without an access rule, and tests can walk the whole table.

use axum::Router;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::unstorable::{UnstorableChecks, refuse_nul_in_request};
use super::{RequestMeta, RoutePattern, see_other};
use crate::audit::{self, Outcome};
use crate::auth::model::{Role, SessionEnd};
use crate::core::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::session::EndedSession;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, logged in or not (login, registration, health checks, assets).
    Everyone,
    /// Logged-in users with one of these roles.
    Roles(&'static [Role]),
}

pub const PATIENT: Access = Access::Roles(&[Role::Patient]);
pub const FRONT_DESK: Access = Access::Roles(&[Role::FrontDesk]);
pub const CLINICIAN: Access = Access::Roles(&[Role::Clinician]);
pub const ADMIN: Access = Access::Roles(&[Role::Admin]);
pub const SIGNED_IN: Access = Access::Roles(&Role::ALL);

pub struct Route {
    pub path: &'static str,
    pub access: Access,
    pub methods: Vec<Method>,
    /// The handler checks every text field it reads for characters that cannot be stored and
    /// answers beside the field, so the form body is not refused before it.
    pub checks_text: bool,
    /// The same for the query string: the handler checks each text parameter it reads (a
    /// search box) and answers beside the field.
    pub checks_query_text: bool,
    handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new(path: &'static str, access: Access) -> Self {
        Route {
            path,
            access,
            methods: Vec::new(),
            checks_text: false,
            checks_query_text: false,
            handler: MethodRouter::new(),
        }
    }

    /// Marks a route whose handler refuses unstorable text itself, field by field (with
    /// `params::unstorable`), so its form body reaches the handler even holding a NUL.
    pub fn checks_text(mut self) -> Self {
        self.checks_text = true;
        self
    }

    /// Marks a route whose handler refuses unstorable text in its query itself, field by
    /// field, so the query reaches the handler even holding a NUL.
    pub fn checks_query_text(mut self) -> Self {
        self.checks_query_text = true;
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::GET);
        self.handler = self.handler.get(handler);
        self
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
        self.methods.push(Method::POST);
        self.handler = self.handler.post(handler);
        self
    }
}

/// Where an account that must use two-factor login sets it up.
pub const TWO_FACTOR_SETUP: &str = "/account/two-factor";
const ALLOWED_BEFORE_ENROLMENT: [&str; 2] = [TWO_FACTOR_SETUP, "/logout"];

#[derive(Clone)]
struct Guard {
    state: AppState,
    access: Access,
    path: &'static str,
}

/// Builds the router from the table, each route behind its access check.
pub fn router(routes: Vec<Route>, state: &AppState) -> Router<AppState> {
    routes.into_iter().fold(Router::new(), |router, route| {
        let guard = Guard {
            state: state.clone(),
            access: route.access,
            path: route.path,
        };
        // Routes whose handler does not check its text fields get the one refusal page for a
        // NUL in the form body or the query; it runs after the access check (the last layer
        // runs first).
        let handler = route.handler.route_layer(from_fn_with_state(
            UnstorableChecks {
                state: state.clone(),
                form: !route.checks_text,
                query: !route.checks_query_text,
            },
            refuse_nul_in_request,
        ));
        router.route(
            route.path,
            handler.route_layer(from_fn_with_state(guard, check_access)),
        )
    })
}

async fn check_access(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let mut response = match guard.access {
        Access::Everyone => next.run(request).await,
        Access::Roles(roles) => match request.extensions().get::<CurrentUser>() {
            // Until a required second factor is set up, the account can do nothing else.
            Some(user)
                if user.must_enrol_two_factor
                    && !ALLOWED_BEFORE_ENROLMENT.contains(&guard.path) =>
            {
                see_other(TWO_FACTOR_SETUP)
            }
            Some(user) if roles.contains(&user.role) => next.run(request).await,
            Some(user) => {
                let user = user.clone();
                let meta = request.extensions().get::<RequestMeta>().cloned();
                let attempt = format!("{} {}", request.method(), guard.path);
                deny(&guard, &user, meta, attempt).await
            }
            None => login_redirect(&request),
        },
    };
    response.extensions_mut().insert(RoutePattern(guard.path));
    response
}

async fn deny(
    guard: &Guard,
    user: &CurrentUser,
    meta: Option<RequestMeta>,
    attempt: String,
) -> Response {
    if let Some(meta) = &meta {
        let entry = audit::Entry::new(audit::action::ACCESS_DENIED, Some(user), meta)
            .outcome(Outcome::Denied)
            .detail(attempt);
        if let Err(e) = audit::record(&guard.state.db, entry).await {
            tracing::error!(error = %e, "could not record denied access");
        }
    }
    AppError::Forbidden.into_response()
}

/// Not logged in: to the login page, remembering where they were going (GET only) and why
/// their session ended, if it did.
fn login_redirect(request: &Request) -> Response {
    let mut query: Vec<(&str, String)> = Vec::new();
    if request.method() == Method::GET {
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        query.push(("next", target));
    }
    if let Some(EndedSession(end)) = request.extensions().get::<EndedSession>()
        && matches!(
            end,
            SessionEnd::Idle | SessionEnd::Absolute | SessionEnd::Disabled
        )
    {
        query.push(("ended", end.as_str().to_owned()));
    }
    let location = match serde_urlencoded::to_string(&query) {
        Ok(q) if !q.is_empty() => format!("/login?{q}"),
        _ => "/login".to_owned(),
    };
    see_other(&location)
}
