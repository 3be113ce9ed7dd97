//! Test harness: each test gets its own database (cloned from a migrated template) and its
//! own app server on port 0, and talks to it over real HTTP with a cookie-keeping client.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clinic::auth::model::Role;
use clinic::auth::session_cache::SessionCache;
use clinic::config::{Config, DEFAULT_DATABASE_URL, LogFormat};
use clinic::web::routes::Route;
use clinic::{AppState, app};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};
use tokio::sync::OnceCell;

pub const PASSWORD: &str = "a long enough passphrase";

pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

pub fn server_options() -> PgConnectOptions {
    PgConnectOptions::from_str(&database_url())
        .expect("DATABASE_URL parses")
        .database("postgres")
        .disable_statement_logging()
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// A migrated database to copy, named after the migrations so a change makes a new one.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let mut hasher = Sha256::new();
            for migration in clinic::database::MIGRATOR.iter() {
                hasher.update(migration.version.to_le_bytes());
                hasher.update(&*migration.checksum);
            }
            let name = format!("clinic_test_tpl_{}", &hex::encode(hasher.finalize())[..12]);
            let mut admin = server_options().connect().await.expect(
                "PostgreSQL must be reachable for the tests (set DATABASE_URL or start it locally)",
            );
            // Serialise template creation across test processes.
            admin
                .execute("SELECT pg_advisory_lock(7244002)")
                .await
                .unwrap();
            drop_stale_test_databases(&mut admin).await;
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut admin)
                    .await
                    .unwrap();
            if !exists {
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                let mut template = server_options().database(&name).connect().await.unwrap();
                clinic::database::MIGRATOR.run(&mut template).await.unwrap();
                template.close().await.unwrap();
            }
            admin
                .execute("SELECT pg_advisory_unlock(7244002)")
                .await
                .unwrap();
            admin.close().await.unwrap();
            name
        })
        .await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Test databases carry their creation time in their name; ones over two hours old are left
/// over from interrupted runs.
async fn drop_stale_test_databases(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'clinic_test_run_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    for name in names {
        let created = name
            .split('_')
            .nth(3)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0);
        if created + 7200 < unix_now() {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
}

pub async fn fresh_database() -> (String, PgPool) {
    let template = template().await;
    let name = format!(
        "clinic_test_run_{}_{}",
        unix_now(),
        clinic::web::random_hex(6)
    );
    let mut admin = server_options().connect().await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let options = server_options().database(&name);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .unwrap();
    (name, pool)
}

pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        listen: "127.0.0.1:0".parse().unwrap(),
        https: false,
        trust_proxy: false,
        log_format: LogFormat::Pretty,
        db_max_connections: 8,
        hash_concurrency: 2,
        smtp_url: None,
        mail_dir: String::new(),
        mail_from: "Clinic <clinic@localhost>".to_owned(),
        public_url: None,
        limits: Default::default(),
    }
}

pub struct TestApp {
    pub base: String,
    pub db: PgPool,
    pub database_name: String,
    /// This app process's session cache.
    pub sessions: Arc<SessionCache>,
    /// This app process's clock: `app.clock.advance(..)` moves "now" for the app.
    #[allow(dead_code)] // until the first test that moves time lands
    pub clock: clinic::clock::Clock,
    /// This app process's password hashing (counts the passwords it checked).
    pub passwords: clinic::auth::password::Passwords,
    /// The requests this app process is working on (what its shutdown waits for).
    pub in_flight: clinic::web::RequestsInFlight,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}, Vec::new()).await
    }

    /// An app with a tweaked configuration and extra routes.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config), extra_routes: Vec<Route>) -> TestApp {
        let (database_name, db) = fresh_database().await;
        Self::serve(database_name, db, tweak, extra_routes).await
    }

    /// An app serving an existing database through `db` (e.g. a pool of another role).
    pub async fn spawn_on(database_name: String, db: PgPool) -> TestApp {
        Self::serve(database_name, db, |_| {}, Vec::new()).await
    }

    /// A second app process over the same database (as behind a load balancer).
    pub async fn another_process(&self) -> TestApp {
        Self::serve(
            self.database_name.clone(),
            self.db.clone(),
            |_| {},
            Vec::new(),
        )
        .await
    }

    async fn serve(
        database_name: String,
        db: PgPool,
        tweak: impl FnOnce(&mut Config),
        extra_routes: Vec<Route>,
    ) -> TestApp {
        let mut config = test_config(database_url());
        tweak(&mut config);
        let limits = config.limits.clone();
        let state = AppState::new(db.clone(), config).unwrap();
        let sessions = state.sessions.clone();
        let clock = state.clock.clone();
        let passwords = state.passwords.clone();
        let in_flight = state.in_flight.clone();
        tokio::spawn(state.follow_changes());
        // Tests of the session cache need it listening before the first request.
        for _ in 0..500 {
            if sessions.generation().is_some() && state.cache.generation().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut routes = clinic::app::routes();
        routes.extend(extra_routes);
        let router = app::app_with_routes(state, routes);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // The server loop `clinic serve` runs, with its limits at the edge.
            clinic::web::edge::serve(listener, router, &limits, std::future::pending())
                .await
                .unwrap();
        });
        TestApp {
            base: format!("http://{addr}"),
            db,
            database_name,
            sessions,
            clock,
            passwords,
            in_flight,
        }
    }

    pub fn client(&self) -> Client {
        let mut client = Client::new(&self.base);
        client.db = Some(self.db.clone());
        client
    }

    /// Creates an account directly (as `clinic user add` does) and returns its user id.
    /// Clinicians and administrators, who must log in with a second factor, come with it set
    /// up on [`TOTP_SECRET`] (tests of enrolment use [`TestApp::add_user_without_two_factor`]).
    pub async fn add_user(&self, role: Role, email: &str) -> i64 {
        let id = self.add_user_without_two_factor(role, email).await;
        if matches!(role, Role::Clinician | Role::Admin) {
            self.set_up_two_factor(id).await;
        }
        id
    }

    /// Two-factor login on [`TOTP_SECRET`], as if the user had scanned it into their app.
    pub async fn set_up_two_factor(&self, user_id: i64) {
        sqlx::query("UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1")
            .bind(user_id)
            .bind(TOTP_SECRET.as_slice())
            .execute(&self.db)
            .await
            .unwrap();
        self.sessions.forget_user(user_id);
    }

    pub async fn add_user_without_two_factor(&self, role: Role, email: &str) -> i64 {
        let dob = (role == Role::Patient).then_some("1980-05-17");
        let name = format!("{} {}", role.label(), email.split('@').next().unwrap());
        clinic::demo::add_user(&self.db, role, email, &name, dob, PASSWORD)
            .await
            .unwrap()
            .user_id
    }

    /// A client already logged in with a new account of `role`.
    pub async fn logged_in(&self, role: Role, email: &str) -> (Client, i64) {
        let id = self.add_user(role, email).await;
        let client = self.client();
        let page = client.login(email, PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login of {email} failed: {}",
            page.body
        );
        (client, id)
    }

    /// Runs a statement directly on the test database (to age sessions, change settings...).
    /// This process's session cache forgets at once what it would otherwise hear of a moment
    /// later; tests of that hearing wait for it instead.
    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement).execute(&self.db).await.unwrap();
        self.sessions.forget_all();
    }

    /// Registers a patient through the form, as a person would: posts it, reads the link
    /// from the queued email, opens it and confirms with the password typed at registration.
    /// Returns the confirmation's answer (on success 303 to `/patient`, `client` logged in).
    pub async fn register_patient(&self, client: &Client, fields: &[(&str, &str)]) -> Page {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value)
                .unwrap_or_default()
        };
        let sent = client.post("/register", fields).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        sent.assert_contains("Check your email");
        let email = field("email").trim().to_lowercase();
        let link = emailed_link(self, "registration", &email).await;
        let path = path_of(&link);
        client
            .get(&path)
            .await
            .assert_contains("Finish creating your account");
        client.post(&path, &[("password", field("password"))]).await
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }
}

#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text),
            "expected {text:?} in page (status {}):\n{}",
            self.status,
            self.body
        );
        self
    }

    /// The address of the link whose text is `label`.
    #[track_caller]
    pub fn link_to(&self, label: &str) -> String {
        let end = self
            .body
            .find(&format!("\">{label}</a>"))
            .unwrap_or_else(|| panic!("no link {label:?} in page:\n{}", self.body));
        let start = self.body[..end]
            .rfind("href=\"")
            .expect("href before link text")
            + 6;
        self.body[start..end].replace("&amp;", "&")
    }

    #[track_caller]
    pub fn assert_lacks(&self, text: &str) -> &Self {
        assert!(
            !self.body.contains(text),
            "did not expect {text:?} in page:\n{}",
            self.body
        );
        self
    }
}

/// The authenticator key of the staff accounts tests create.
pub const TOTP_SECRET: &[u8; 20] = b"clinic-test-totp-key";

/// The code an authenticator app on [`TOTP_SECRET`] shows now.
pub fn totp_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    clinic::auth::two_factor::code_at(TOTP_SECRET, now).unwrap()
}

/// What the test client says it is, as a browser would (signatures record it).
pub const USER_AGENT: &str = "clinic-integration-tests/1";

/// A browser-like client: keeps cookies, never follows redirects on its own, and adds the
/// anti-forgery token to forms as the app's pages do.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    pub cookies: Arc<Mutex<BTreeMap<String, String>>>,
    /// The test database, for what a person would do outside the browser (read their
    /// authenticator app).
    pub db: Option<sqlx::PgPool>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .user_agent(USER_AGENT)
            .build()
            .unwrap();
        Client {
            http,
            base: base.to_owned(),
            cookies: Arc::default(),
            db: None,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.lock().unwrap().is_empty() {
            request
        } else {
            request.header("cookie", self.cookie_header())
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if set.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(self.url(path))).await
    }

    /// Follows a redirect the way a browser would (GET the location).
    pub async fn follow(&self, page: &Page) -> Page {
        assert!(
            page.status.is_redirection(),
            "not a redirect: {} {}",
            page.status,
            page.body
        );
        self.get(page.location()).await
    }

    /// The anti-forgery token a page would carry (fetching a page first if there is none yet).
    pub async fn csrf_token(&self) -> String {
        if self.cookie("clinic_csrf").is_none() {
            self.get("/healthz").await;
        }
        self.cookie("clinic_csrf").unwrap()
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.post_raw(path, &form).await
    }

    /// Posts exactly these fields, with no anti-forgery token added.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        self.login_to(email, password, "").await
    }

    /// Logs in as a person would, entering the authenticator code when asked for one.
    pub async fn login_to(&self, email: &str, password: &str, next: &str) -> Page {
        let page = self
            .post(
                "/login",
                &[("email", email), ("password", password), ("next", next)],
            )
            .await;
        if page.location() != "/login/two-factor" {
            return page;
        }
        // Tests log in faster than people: the same 30-second code may be needed twice.
        if let Some(db) = &self.db {
            sqlx::query("UPDATE users SET totp_last_step = NULL WHERE email = $1")
                .bind(email.trim().to_lowercase())
                .execute(db)
                .await
                .unwrap();
        }
        self.post("/login/two-factor", &[("code", &totp_now())])
            .await
    }
}

/// A number the test database answers (a count, an id), for checking what a page wrote.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

/// The link in the newest queued email of `kind` to `to`, waiting for it to be queued.
pub async fn emailed_link(app: &TestApp, kind: &str, to: &str) -> String {
    for _ in 0..100 {
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM outbox WHERE kind = $1 AND recipient = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(kind)
        .bind(to)
        .fetch_optional(&app.db)
        .await
        .unwrap();
        if let Some(body) = body {
            let start = body.find("http").unwrap();
            let end = start + body[start..].find(['\n', ' ']).unwrap();
            return body[start..end].to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {kind} email to {to}");
}

/// The path of an absolute link (the tests' server has its own address).
pub fn path_of(link: &str) -> String {
    let after_scheme = &link[link.find("://").unwrap() + 3..];
    after_scheme[after_scheme.find('/').unwrap()..].to_owned()
}
