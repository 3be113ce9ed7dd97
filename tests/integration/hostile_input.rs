//! No 5xx from hostile input (issue 16 item 4). For every role, walks the route table and the
//! pages it reaches, then sends hostile values (huge and negative numbers, dates far out of
//! range, NUL bytes, 100 KB strings, malformed percent-encoding) in every path parameter,
//! every query parameter the app reads and every form field its pages carry, one at a time,
//! and fails listing every request answered with a 5xx.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use clinic::auth::model::Role;
use clinic::web::routes::Access;
use reqwest::StatusCode;
use tokio::sync::Mutex;

use crate::fixtures::{
    booked_consultation, booked_infusion, first_consent_version, signed_consent,
    submitted_screening,
};
use crate::support::{Client, PASSWORD, Page, TestApp};

/// A value as sent: `Plain` is percent-encoded as a browser would; `Raw` goes into the query
/// or body exactly as written (to send malformed percent-encoding).
#[derive(Clone, Debug)]
enum Hostile {
    Plain(String),
    Raw(&'static str),
}

impl Hostile {
    fn encoded(&self) -> String {
        match self {
            Hostile::Plain(text) => encode(text),
            Hostile::Raw(raw) => (*raw).to_owned(),
        }
    }

    fn label(&self) -> String {
        match self {
            Hostile::Plain(text) if text.len() > 40 => format!("<{} chars>", text.len()),
            Hostile::Plain(text) => format!("{text:?}"),
            Hostile::Raw(raw) => format!("raw {raw}"),
        }
    }
}

fn plain(text: impl Into<String>) -> Hostile {
    Hostile::Plain(text.into())
}

/// Every hostile value, for the fields and query names a page itself carries.
fn all_values() -> Vec<Hostile> {
    vec![
        plain(i64::MAX.to_string()),
        plain(i64::MIN.to_string()),
        plain("99999999999999999999"),
        plain("-1"),
        plain("0"),
        plain("9999-12-31"),
        plain("-9999-01-01"),
        plain("0000-00-00"),
        plain("2024-02-30"),
        plain("9999-12-31T23:59"),
        plain("a\0b"),
        Hostile::Raw("%00"),
        Hostile::Raw("%zz"),
        Hostile::Raw("%"),
        Hostile::Raw("%ff%fe"),
        plain("x".repeat(100_000)),
    ]
}

/// For query strings: the same, with the long text cut to what an address can carry (the
/// client library refuses a URI past 64 KB).
fn query_values() -> Vec<Hostile> {
    let mut values = all_values();
    values.pop();
    values.push(plain("x".repeat(60_000)));
    values
}

/// Fewer values for the query names sent to every page whether it reads them or not.
fn some_values() -> Vec<Hostile> {
    vec![
        plain("99999999999999999999"),
        plain("-9999-01-01"),
        Hostile::Raw("%00"),
        Hostile::Raw("%zz"),
    ]
}

/// Hostile path parameters (already as they go into the path).
const HOSTILE_IDS: [&str; 9] = [
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "abc",
    "%00",
    "%zz",
    "%",
];

/// The query names the app's handlers read (every `Query<..>` struct's fields), sent to
/// every page in case a page reads one its links never carry.
const QUERY_NAMES: [&str; 25] = [
    "action",
    "actor",
    "after",
    "before",
    "born",
    "by",
    "clinician",
    "date",
    "decided",
    "draft",
    "ended",
    "from",
    "kind",
    "next",
    "notice",
    "page",
    "patient",
    "phone",
    "q",
    "saved",
    "scores",
    "sessions",
    "to",
    "until",
    "week",
];

fn encode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).unwrap()[1..].to_owned()
}

fn body_of(fields: &[(String, String)], hostile: Option<(&str, &Hostile)>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (name, value) in fields {
        match hostile {
            Some((field, value)) if field == name => {
                parts.push(format!("{}={}", encode(name), value.encoded()));
            }
            _ => parts.push(format!("{}={}", encode(name), encode(value))),
        }
    }
    parts.join("&")
}

/// Turns the HTML entities askama writes back into text.
fn unescape(text: &str) -> String {
    text.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The value of attribute `name` in the tag text `tag` (between `<` and `>`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    let needle = format!("{name}=\"");
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().last();
        let start = at + needle.len();
        if before.is_none_or(char::is_whitespace) {
            let end = rest[start..].find('"')?;
            return Some(unescape(&rest[start..start + end]));
        }
        rest = &rest[start..];
    }
    None
}

fn has_flag(tag: &str, flag: &str) -> bool {
    tag.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .any(|word| word == flag)
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Form {
    method: String,
    /// Path and query, as in the form's action.
    action: String,
    fields: Vec<(String, String)>,
}

/// The forms of a page: action, method and the fields a browser would send unchanged.
fn forms_of(html: &str, page_path: &str) -> Vec<Form> {
    let mut forms = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after.find("</form>").unwrap_or(after.len());
        let body = &after[..end];
        let tag_end = body.find('>').unwrap_or(body.len());
        let tag = &body[..tag_end];
        let action = attribute(tag, "action").unwrap_or_else(|| page_path.to_owned());
        let method = attribute(tag, "method")
            .unwrap_or_else(|| "get".to_owned())
            .to_uppercase();
        forms.push(Form {
            method,
            action,
            fields: fields_of(&body[tag_end..]),
        });
        rest = &after[end..];
    }
    forms
}

fn push(fields: &mut Vec<(String, String)>, name: String, value: String) {
    if !fields.iter().any(|(n, _)| *n == name) {
        fields.push((name, value));
    }
}

fn fields_of(form: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut rest = form;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let tag_end = after.find('>').unwrap_or(after.len());
        let tag = &after[..tag_end];
        let word = tag.split_whitespace().next().unwrap_or("");
        match word {
            "input" => {
                if let Some(name) = attribute(tag, "name") {
                    let kind = attribute(tag, "type").unwrap_or_else(|| "text".to_owned());
                    let value = attribute(tag, "value").unwrap_or_default();
                    match kind.as_str() {
                        "checkbox" if !has_flag(tag, "checked") => {
                            // Sent as if ticked, so the field is walked too.
                            push(
                                &mut fields,
                                name,
                                if value.is_empty() { "on".into() } else { value },
                            );
                        }
                        "radio" if has_flag(tag, "checked") => {
                            fields.retain(|(n, _)| *n != name);
                            fields.push((name, value));
                        }
                        "submit" | "button" | "image" | "reset" | "file" => {}
                        _ => push(&mut fields, name, value),
                    }
                }
            }
            "button" => {
                if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value"))
                {
                    push(&mut fields, name, value);
                }
            }
            "textarea" => {
                if let Some(name) = attribute(tag, "name") {
                    let content = after.get(tag_end + 1..).unwrap_or("");
                    let close = content.find("</textarea>").unwrap_or(0);
                    push(&mut fields, name, unescape(&content[..close]));
                }
            }
            "select" => {
                if let Some(name) = attribute(tag, "name") {
                    let content = &after[tag_end..];
                    let close = content.find("</select>").unwrap_or(content.len());
                    let options = &content[..close];
                    let mut first = None;
                    let mut chosen = None;
                    for option in options.split("<option").skip(1) {
                        let option_tag = &option[..option.find('>').unwrap_or(option.len())];
                        let value = attribute(option_tag, "value").unwrap_or_default();
                        if first.is_none() {
                            first = Some(value.clone());
                        }
                        if has_flag(option_tag, "selected") {
                            chosen = Some(value);
                        }
                    }
                    push(&mut fields, name, chosen.or(first).unwrap_or_default());
                }
            }
            _ => {}
        }
        rest = &after[tag_end.min(after.len())..];
    }
    fields
}

/// Same-site links of a page: (path, query pairs).
fn links_of(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut links = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        let start = at + 6;
        let end = rest[start..].find('"').map_or(rest.len(), |e| start + e);
        let href = unescape(&rest[start..end]);
        rest = &rest[end.min(rest.len())..];
        if !href.starts_with('/') || href.starts_with("//") {
            continue;
        }
        let href = href.split('#').next().unwrap_or("").to_owned();
        let (path, query) = href.split_once('?').unwrap_or((&href, ""));
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default();
        links.push((path.to_owned(), pairs));
    }
    links
}

/// A request that answered 5xx (a panic is caught and answered 500, so it shows here too).
#[derive(Debug)]
struct Failure {
    role: &'static str,
    method: &'static str,
    url: String,
    field: String,
    value: String,
    status: u16,
}

struct Walker {
    client: Client,
    /// Never follows redirects, like the test client.
    raw: reqwest::Client,
    role: &'static str,
    token: String,
    failures: Arc<Mutex<Vec<Failure>>>,
    sent: Arc<std::sync::atomic::AtomicUsize>,
    /// How many requests got each status, to show the walk reached the handlers.
    statuses: Arc<std::sync::Mutex<BTreeMap<u16, usize>>>,
}

impl Walker {
    async fn check(&self, method: &'static str, url: &str, field: &str, value: &str, page: &Page) {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *self
            .statuses
            .lock()
            .unwrap()
            .entry(page.status.as_u16())
            .or_default() += 1;
        if page.status.is_server_error() {
            self.failures.lock().await.push(Failure {
                role: self.role,
                method,
                url: url.chars().take(200).collect(),
                field: field.to_owned(),
                value: value.to_owned(),
                status: page.status.as_u16(),
            });
        }
    }

    async fn get(&self, url: &str, field: &str, value: &str) -> Page {
        let page = self.client.get(url).await;
        self.check("GET", url, field, value, &page).await;
        page
    }

    /// Posts a body exactly as given, with the anti-forgery token in the header (so a body
    /// that does not parse still reaches the handler's own reading of it).
    async fn post(&self, url: &str, body: String, field: &str, value: &str) -> Page {
        let request = self
            .raw
            .post(self.client.url(url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-csrf-token", &self.token)
            .body(body);
        let page = self.client.send(request).await;
        self.check("POST", url, field, value, &page).await;
        page
    }
}

/// One request (or a few) on its way.
type Sending = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Runs `send` for each item, six at a time (the server's pool and the two cores set the pace).
async fn in_parallel<T: Send + 'static>(
    walker: &Arc<Walker>,
    items: Vec<T>,
    send: impl Fn(Arc<Walker>, T) -> Sending + Send + Sync + 'static,
) {
    let send = Arc::new(send);
    let queue = Arc::new(std::sync::Mutex::new(VecDeque::from(items)));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let queue = queue.clone();
        let walker = walker.clone();
        let send = send.clone();
        workers.spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop_front();
                let Some(item) = next else { break };
                send(walker.clone(), item).await;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
}

/// Ids that resolve, per path pattern, as the access walk picks them.
struct Seeded {
    patient: i64,
    clinician_user: i64,
    screening: i64,
    signature: i64,
    version: i64,
    appointment: i64,
    infusion: i64,
}

fn real_path(pattern: &str, ids: &Seeded) -> String {
    let id = if pattern.starts_with("/infusions/") {
        ids.infusion
    } else if pattern.contains("appointments/{id}") {
        ids.appointment
    } else if pattern.contains("consent/signatures") {
        ids.signature
    } else if pattern.contains("/clinician/patients/") || pattern.starts_with("/patients/") {
        ids.patient
    } else if pattern.contains("consent/") {
        ids.version
    } else if pattern.contains("screening") {
        ids.screening
    } else if pattern.contains("/chairs/") {
        1
    } else {
        ids.clinician_user
    };
    pattern
        .replace("{id}", &id.to_string())
        .replace("{step}", "medical")
        .replace("{alert}", "999999999")
        .replace("{token}", "not-a-real-token")
}

/// The path with one parameter hostile and the others real.
fn hostile_paths(pattern: &str, ids: &Seeded) -> Vec<(String, String)> {
    let params: Vec<&str> = pattern.split('/').filter(|s| s.starts_with('{')).collect();
    let mut paths = Vec::new();
    for param in params {
        for hostile in HOSTILE_IDS {
            let path = real_path(&pattern.replacen(param, hostile, 1), ids);
            paths.push((param.to_owned(), path));
        }
    }
    paths
}

fn may_use(access: Access, role: Option<Role>) -> bool {
    match (access, role) {
        (Access::Everyone, _) => true,
        (Access::Roles(roles), Some(role)) => roles.contains(&role),
        (Access::Roles(_), None) => false,
    }
}

async fn seed(app: &TestApp) -> (Seeded, Client) {
    let (patient_client, patient) =
        crate::fixtures::patient_with_profile(app, "walker-patient@clinic.test", "Pat Walker")
            .await;
    // A draft screening of their own, so the questionnaire's steps have forms.
    patient_client.post("/patient/screening/start", &[]).await;
    let clinician_user = app
        .add_user(Role::Clinician, "walker-clinician@clinic.test")
        .await;
    // Someone else's submitted screening, for the clinician's review routes.
    let other = app.add_user(Role::Patient, "other@clinic.test").await;
    let screening = submitted_screening(app, other).await;
    let version = first_consent_version(app).await;
    let signature = signed_consent(app, patient).await;
    let appointment = booked_consultation(app, patient, clinician_user, "2 days").await;
    // Today, so the flowsheet's forms are open.
    let infusion = booked_infusion(app, patient, clinician_user, "-10 minutes").await;
    let seeded = Seeded {
        patient,
        clinician_user,
        screening,
        signature,
        version,
        appointment,
        infusion,
    };
    (seeded, patient_client)
}

/// Pages a role reaches: the route table's GET routes with real ids, then links from those
/// pages (each path once), up to a bound.
async fn crawl(
    walker: &Walker,
    starts: Vec<String>,
) -> (Vec<Form>, BTreeMap<String, BTreeMap<String, String>>) {
    const MOST_PAGES: usize = 120;
    let mut queue: VecDeque<String> = starts.into();
    let mut seen = BTreeSet::new();
    let mut forms = BTreeSet::new();
    let mut queries: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        if seen.len() >= MOST_PAGES || !seen.insert(path.clone()) {
            continue;
        }
        let page = walker.get(&path, "-", "-").await;
        let is_html = page.header("content-type").starts_with("text/html");
        if page.status != StatusCode::OK || !is_html {
            continue;
        }
        for form in forms_of(&page.body, &path) {
            if form.method == "GET" {
                let (target, _) = form.action.split_once('?').unwrap_or((&form.action, ""));
                let names = queries.entry(target.to_owned()).or_default();
                for (name, value) in &form.fields {
                    names.entry(name.clone()).or_insert_with(|| value.clone());
                }
            }
            forms.insert(form);
        }
        for (target, pairs) in links_of(&page.body) {
            if target.starts_with("/static") || target.ends_with(".json") {
                continue;
            }
            let names = queries.entry(target.clone()).or_default();
            for (name, value) in pairs {
                names.entry(name).or_insert(value);
            }
            queue.push_back(target);
        }
    }
    (forms.into_iter().collect(), queries)
}

async fn walk(
    client: Client,
    role: Option<Role>,
    email: &str,
    ids: &Seeded,
    failures: &Arc<Mutex<Vec<Failure>>>,
) -> usize {
    let name = role.map_or("anonymous", |r| r.as_str());
    let token = client.csrf_token().await;
    let walker = Arc::new(Walker {
        client,
        raw: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        role: name,
        token,
        failures: failures.clone(),
        sent: Arc::default(),
        statuses: Arc::default(),
    });
    let routes: Vec<_> = clinic::app::route_list()
        .into_iter()
        // Logging out would end the walk.
        .filter(|(_, path, _)| *path != "/logout")
        .collect();
    let own: Vec<_> = routes
        .iter()
        .filter(|(_, _, access)| may_use(*access, role))
        .cloned()
        .collect();

    hostile_path_parameters(&walker, role, &routes, &own, ids).await;
    // The pages this role reaches, their forms and the query names their links carry.
    let starts: Vec<String> = own
        .iter()
        .filter(|(method, _, _)| *method == axum::http::Method::GET)
        .map(|(_, pattern, _)| real_path(pattern, ids))
        .collect();
    let (forms, queries) = crawl(&walker, starts.clone()).await;
    hostile_query_parameters(&walker, &starts, queries).await;
    hostile_form_fields(&walker, &forms, &own, ids, email).await;
    // Still signed in at the end, so the whole walk ran as this role.
    if let Some(role) = role {
        still_signed_in(&walker, role, failures).await;
    }
    let posted: BTreeSet<&str> = forms
        .iter()
        .filter(|f| f.method == "POST")
        .map(|f| f.action.as_str())
        .collect();
    eprintln!(
        "{name}: {} forms posted {posted:?}; statuses {:?}",
        posted.len(),
        walker.statuses.lock().unwrap()
    );
    walker.sent.load(std::sync::atomic::Ordering::Relaxed)
}

type RouteRow = (axum::http::Method, &'static str, Access);

/// Path parameters: the role's own routes; anonymous callers try every route (they are
/// answered at the door, but must be answered).
async fn hostile_path_parameters(
    walker: &Arc<Walker>,
    role: Option<Role>,
    routes: &[RouteRow],
    own: &[RouteRow],
    ids: &Seeded,
) {
    let mut path_cases = Vec::new();
    let doors = if role.is_none() { routes } else { own };
    for (method, pattern, _) in doors {
        for (param, path) in hostile_paths(pattern, ids) {
            path_cases.push((method.clone(), path, param));
        }
    }
    in_parallel(walker, path_cases, |walker, (method, path, param)| {
        Box::pin(async move {
            if method == axum::http::Method::GET {
                walker.get(&path, &param, "path").await;
            } else {
                walker.post(&path, String::new(), &param, "path").await;
            }
        })
    })
    .await;
}

/// Query parameters: the names a page's links and forms carry get every value; the names
/// any handler reads go to every GET route of the role with the shorter list.
async fn hostile_query_parameters(
    walker: &Arc<Walker>,
    starts: &[String],
    mut queries: BTreeMap<String, BTreeMap<String, String>>,
) {
    for start in starts {
        queries.entry(start.clone()).or_default();
    }
    let mut query_cases = Vec::new();
    for (path, names) in &queries {
        if !starts.contains(path) && names.is_empty() {
            continue;
        }
        let mut all: BTreeMap<String, (String, bool)> = names
            .iter()
            .map(|(n, v)| (n.clone(), (v.clone(), true)))
            .collect();
        if starts.contains(path) {
            for name in QUERY_NAMES {
                all.entry(name.to_owned())
                    .or_insert_with(|| (String::new(), false));
            }
        }
        for (name, (_, carried)) in &all {
            let values = if *carried {
                query_values()
            } else {
                some_values()
            };
            for value in values {
                let others: Vec<(String, String)> = all
                    .iter()
                    .filter(|(n, (_, c))| *c && *n != name)
                    .map(|(n, (v, _))| (n.clone(), v.clone()))
                    .collect();
                let mut query = body_of(&others, None);
                if !query.is_empty() {
                    query.push('&');
                }
                query.push_str(&format!("{}={}", encode(name), value.encoded()));
                query_cases.push((format!("{path}?{query}"), name.clone(), value.label()));
            }
        }
    }
    in_parallel(walker, query_cases, |walker, (url, name, value)| {
        Box::pin(async move {
            walker.get(&url, &name, &value).await;
        })
    })
    .await;
}

/// Form fields: each field of each posted form, one hostile value at a time.
async fn hostile_form_fields(
    walker: &Arc<Walker>,
    forms: &[Form],
    own: &[RouteRow],
    ids: &Seeded,
    email: &str,
) {
    let mut form_cases = Vec::new();
    for form in forms.iter().filter(|f| f.method == "POST") {
        // Logging out, or ending this very session from the account page, would end the walk.
        let own_session = form.action.starts_with("/account/sessions/")
            && form.action.ends_with("/end")
            && !form.action.contains("end-others");
        if form.action == "/logout" || own_session {
            continue;
        }
        for (name, _) in &form.fields {
            if name == clinic::web::csrf::FIELD {
                continue;
            }
            for value in all_values() {
                form_cases.push((
                    form.action.clone(),
                    body_of(&form.fields, Some((name, &value))),
                    name.clone(),
                    value.label(),
                ));
            }
        }
        // And the form as the page has it, unless it names the walker itself (the admin's
        // own "end sessions" button would log the walk out).
        if form.fields.iter().any(|(_, value)| value == email) {
            continue;
        }
        form_cases.push((
            form.action.clone(),
            body_of(&form.fields, None),
            "-".into(),
            "page values".into(),
        ));
    }
    // Posting routes no page has a form for still get the hostile names as fields.
    for (method, pattern, _) in own {
        let path = real_path(pattern, ids);
        if *method != axum::http::Method::POST || path == "/logout" {
            continue;
        }
        if forms
            .iter()
            .any(|f| f.action.split('?').next() == Some(&path))
        {
            continue;
        }
        for value in some_values() {
            let body = format!("text={}&id={}", value.encoded(), value.encoded());
            form_cases.push((path.clone(), body, "text,id".into(), value.label()));
        }
    }
    in_parallel(walker, form_cases, |walker, (url, body, name, value)| {
        Box::pin(async move {
            walker.post(&url, body, &name, &value).await;
        })
    })
    .await;
}

/// The role's home still opens: a failure if the walk signed it out.
async fn still_signed_in(walker: &Walker, role: Role, failures: &Arc<Mutex<Vec<Failure>>>) {
    let home = match role {
        Role::Patient => "/patient",
        Role::FrontDesk => "/front-desk",
        Role::Clinician => "/clinician",
        Role::Admin => "/admin",
    };
    let page = walker.client.get(home).await;
    if page.status != StatusCode::OK {
        failures.lock().await.push(Failure {
            role: walker.role,
            method: "GET",
            url: home.to_owned(),
            field: "signed out by the walk".to_owned(),
            value: page.location().to_owned(),
            status: page.status.as_u16(),
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_in_every_parameter_of_every_route_never_get_a_5xx() {
    // Password checks wait their turn rather than answer 503 under the walk's load.
    let app = TestApp::spawn_with(
        |config| config.limits.hash_wait = Duration::from_secs(300),
        Vec::new(),
    )
    .await;
    let (ids, patient) = seed(&app).await;
    let clinician = app.client();
    let login = clinician
        .login("walker-clinician@clinic.test", crate::support::PASSWORD)
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let (desk, _) = app
        .logged_in(Role::FrontDesk, "walker-desk@clinic.test")
        .await;
    let (admin, _) = app.logged_in(Role::Admin, "walker-admin@clinic.test").await;

    // The infusion under way, so the flowsheet's later forms (vitals, events, discharge,
    // addenda) are walked too.
    crate::fixtures::clear_for_infusions(&app, ids.patient, ids.clinician_user).await;
    let sheet = format!("/infusions/{}", ids.infusion);
    let vitals = ["128", "82", "76", "98", "14"];
    let checked = crate::fixtures::check_in(&clinician, &sheet, "72.4", vitals).await;
    assert_eq!(checked.status, StatusCode::SEE_OTHER, "{}", checked.body);
    let protocol: i64 = sqlx::query_scalar("SELECT min(id) FROM infusion_protocols")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let protocol = protocol.to_string();
    let ordered = clinician
        .post(
            &format!("{sheet}/order"),
            &[("protocol_id", &protocol), ("lot_number", "KX-1")],
        )
        .await;
    assert_eq!(ordered.status, StatusCode::SEE_OTHER, "{}", ordered.body);
    let started = clinician.post(&format!("{sheet}/start"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    // A consent draft, so its editor's form is walked too.
    let draft = admin.post("/admin/consent/drafts", &[]).await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER, "{}", draft.body);
    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = std::time::Instant::now();
    let mut sent = 0;
    for (client, role, email) in [
        (app.client(), None, ""),
        (patient, Some(Role::Patient), "walker-patient@clinic.test"),
        (desk, Some(Role::FrontDesk), "walker-desk@clinic.test"),
        (
            clinician,
            Some(Role::Clinician),
            "walker-clinician@clinic.test",
        ),
        (admin, Some(Role::Admin), "walker-admin@clinic.test"),
    ] {
        sent += walk(client, role, email, &ids, &failures).await;
    }
    let failures = failures.lock().await;
    let listed: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "{} {} {} [{} = {}] -> {}",
                f.role, f.method, f.url, f.field, f.value, f.status
            )
        })
        .collect();
    assert!(
        listed.is_empty(),
        "{} of {sent} hostile requests answered 5xx:\n{}",
        listed.len(),
        listed.join("\n")
    );
    eprintln!("{sent} hostile requests in {:?}", started.elapsed());
}

/// The requests the issue named, each answered with a message rather than a 500.
#[tokio::test]
async fn the_reported_requests_get_a_400_page_with_a_message() {
    let app = TestApp::spawn().await;
    let (ids, patient) = seed(&app).await;
    let (desk, _) = app.logged_in(Role::FrontDesk, "desk@clinic.test").await;
    let (admin, _) = app.logged_in(Role::Admin, "admin@clinic.test").await;
    let book = format!("/patients/{}/book?week=-9999-01-01", ids.patient);
    let cases: [(&Client, &str); 4] = [
        (&desk, "/schedule?date=9999-12-31"),
        (&desk, &book),
        (&patient, "/patient/appointments/book?week=9999-12-31"),
        (&admin, "/admin/staff?page=9223372036854775807"),
    ];
    for (client, url) in cases {
        let page = client.get(url).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{url}: {}", page.body);
        page.assert_contains("Please check your request")
            .assert_contains("<nav aria-label=\"Main\"");
    }
    // A NUL typed into a form whose route leaves text to the form-body check: refused with a
    // page saying why and naming the field, nothing stored.
    let page = patient
        .post("/patient/screening/start", &[("note", "Pat\0Walker")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("cannot be stored (a NUL byte)")
        .assert_contains("note");
    // The front desk's search boxes check their own text: a NUL is told beside the box, the
    // other boxes kept, and nobody is looked up.
    let search = desk.get("/front-desk/patients?q=Pat%00&phone=555").await;
    assert_eq!(
        search.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        search.body
    );
    search
        .assert_contains(&format!(
            "id=\"q-error\">{}</p>",
            clinic::web::params::UNSTORABLE
        ))
        .assert_contains("value=\"Pat\"")
        .assert_contains("value=\"555\"")
        .assert_lacks("Pat Walker");
    // So do the audit log's filters.
    let filtered = admin.get("/admin/audit?actor=%00").await;
    assert_eq!(
        filtered.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        filtered.body
    );
    filtered.assert_contains(clinic::web::params::UNSTORABLE);
    for url in [
        "/admin/reports?from=2026-01-01%00&until=2026-03-31",
        "/admin/reports.csv?from=2026-01-01&until=%00",
        "/admin/export?patient=12%0034",
    ] {
        let page = admin.get(url).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            page.body
        );
        page.assert_contains(clinic::web::params::UNSTORABLE);
    }
    // An extractor's refusal is the app's page too, not axum's plain text.
    let page = desk.get("/appointments/99999999999999999999").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_contains("could not be read");
}

/// A walker for one signed-in client (no failures are collected: the caller asserts).
async fn walker_for(client: Client, role: &'static str) -> Walker {
    let token = client.csrf_token().await;
    Walker {
        client,
        raw: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        role,
        token,
        failures: Arc::default(),
        sent: Arc::default(),
        statuses: Arc::default(),
    }
}

/// Whether a path (no query) is one the route pattern answers.
fn same_route(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| p.starts_with('{') || p == s)
}

/// Every table's content but the sessions' (each request moves their last-seen time), to show
/// a refused form wrote nothing, not even an audit entry but the one every showing of a page
/// of patient data writes (a refused form is shown again, and that is a view).
async fn snapshot(db: &sqlx::PgPool) -> BTreeMap<String, String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'sessions'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut contents = BTreeMap::new();
    for table in tables {
        let views = match table.as_str() {
            "audit_inbox" | "audit_log" => "WHERE t.action NOT LIKE '%view'",
            _ => "",
        };
        let content: String = sqlx::query_scalar(&format!(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t {views}"
        ))
        .fetch_one(db)
        .await
        .unwrap();
        contents.insert(table, content);
    }
    contents
}

fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    after
        .iter()
        .filter(|(table, content)| before.get(*table) != Some(content))
        .map(|(table, _)| table.clone())
        .collect()
}

/// Posts each field of a form whose route checks its own text with a NUL in it, one at a time:
/// 422 with the field message, the other typed values shown back, nothing written. Returns
/// the route's pattern, or none when the form's route leaves text to the form-body check.
async fn refuse_in_each_field(
    db: &sqlx::PgPool,
    walker: &Walker,
    form: &Form,
    checked: &[(axum::http::Method, &'static str)],
) -> Option<&'static str> {
    let path = form.action.split('?').next().unwrap_or("");
    let (_, pattern) = checked.iter().find(|(_, p)| same_route(p, path))?;
    let nul = plain("a\0b");
    let before = snapshot(db).await;
    for (field, _) in &form.fields {
        if field == clinic::web::csrf::FIELD {
            continue;
        }
        let body = body_of(&form.fields, Some((field, &nul)));
        let page = walker.post(&form.action, body, field, "NUL").await;
        let said = format!("{} POST {} [{field}]", walker.role, form.action);
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{said}: {}",
            page.body
        );
        page.assert_contains(clinic::web::params::UNSTORABLE);
        assert!(
            !page.body.contains('\0'),
            "{said}: the page carries the NUL"
        );
        let shown = unescape(&page.body);
        for (other, typed) in &form.fields {
            // Short values ("on", an id) would be found anywhere.
            if other != field && other != clinic::web::csrf::FIELD && typed.len() >= 3 {
                assert!(
                    shown.contains(typed.trim()),
                    "{said}: typed {other} = {typed:?} not shown back"
                );
            }
        }
    }
    let after = snapshot(db).await;
    assert!(
        changed(&before, &after).is_empty(),
        "{} POST {}: refused forms wrote to {:?}",
        walker.role,
        form.action,
        changed(&before, &after)
    );
    Some(pattern)
}

/// The forms of one page, each refused field by field where its route checks its text.
async fn refuse_on_page(
    db: &sqlx::PgPool,
    walker: &Walker,
    path: &str,
    checked: &[(axum::http::Method, &'static str)],
    reached: &mut BTreeSet<&'static str>,
) {
    let page = walker.get(path, "-", "-").await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    for form in forms_of(&page.body, path)
        .iter()
        .filter(|f| f.method == "POST")
    {
        reached.extend(refuse_in_each_field(db, walker, form, checked).await);
    }
}

async fn posted(client: &Client, path: &str, fields: &[(&str, &str)]) {
    let page = client.post(path, fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
}

/// Forms whose route checks its own text (`Route::checks_text`): a NUL in any one field is
/// answered 422 with the field message, the other typed values shown back, nothing written.
/// Every other posting route still answers a NUL in its body with the 400 page. No 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_form_that_checks_its_text_gets_a_field_message_and_others_the_400_page() {
    let app = TestApp::spawn().await;
    let (ids, patient) = seed(&app).await;
    let clinician = app.client();
    let login = clinician
        .login("walker-clinician@clinic.test", crate::support::PASSWORD)
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let (desk, _) = app.logged_in(Role::FrontDesk, "nul-desk@clinic.test").await;
    let (admin, _) = app.logged_in(Role::Admin, "nul-admin@clinic.test").await;
    // A consent draft, so its editor's form is reached too.
    let draft = admin.post("/admin/consent/drafts", &[]).await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER, "{}", draft.body);
    crate::fixtures::clear_for_infusions(&app, ids.patient, ids.clinician_user).await;

    let checked = clinic::app::text_checked_routes();
    let mut reached: BTreeSet<&'static str> = BTreeSet::new();
    let nul = plain("a\0b");
    for (client, role) in [
        (app.client(), None),
        (patient, Some(Role::Patient)),
        (desk, Some(Role::FrontDesk)),
        (clinician, Some(Role::Clinician)),
        (admin, Some(Role::Admin)),
    ] {
        let name = role.map_or("anonymous", |r| r.as_str());
        let walker = walker_for(client, name).await;
        let own: Vec<_> = clinic::app::route_list()
            .into_iter()
            .filter(|(_, path, access)| *path != "/logout" && may_use(*access, role))
            .collect();
        let starts: Vec<String> = own
            .iter()
            .filter(|(method, _, _)| *method == axum::http::Method::GET)
            .map(|(_, pattern, _)| real_path(pattern, &ids))
            .collect();
        let (forms, _) = crawl(&walker, starts).await;
        for form in forms.iter().filter(|f| f.method == "POST") {
            reached.extend(refuse_in_each_field(&app.db, &walker, form, &checked).await);
        }

        if role == Some(Role::Clinician) {
            // The flowsheet shows its forms one stage at a time: each stage's page is walked.
            let sheet = format!("/infusions/{}", ids.infusion);
            let client = &walker.client;
            let vitals = ["128", "82", "76", "98", "14"];
            let checked_in = crate::fixtures::check_in(client, &sheet, "72.4", vitals).await;
            assert_eq!(
                checked_in.status,
                StatusCode::SEE_OTHER,
                "{}",
                checked_in.body
            );
            refuse_on_page(&app.db, &walker, &sheet, &checked, &mut reached).await;
            let protocol: i64 = sqlx::query_scalar("SELECT min(id) FROM infusion_protocols")
                .fetch_one(&app.db)
                .await
                .unwrap();
            let protocol = protocol.to_string();
            let order = format!("{sheet}/order");
            posted(
                client,
                &order,
                &[("protocol_id", &protocol), ("lot_number", "KX-1")],
            )
            .await;
            refuse_on_page(&app.db, &walker, &sheet, &checked, &mut reached).await;
            posted(client, &format!("{sheet}/start"), &[]).await;
            // An open bedside alert, so both of its clearing forms are walked, then cleared.
            let alert: i64 = sqlx::query_scalar(
                "INSERT INTO clinical_alerts (patient_id, kind, appointment_id, detail)
                 VALUES ($1, 'vitals', $2, 'Walk alert') RETURNING id",
            )
            .bind(ids.patient)
            .bind(ids.infusion)
            .fetch_one(&app.db)
            .await
            .unwrap();
            refuse_on_page(&app.db, &walker, &sheet, &checked, &mut reached).await;
            let alerts = format!("/clinician/patients/{}/alerts", ids.patient);
            refuse_on_page(&app.db, &walker, &alerts, &checked, &mut reached).await;
            let clear = format!("{alerts}/{alert}/clear");
            posted(client, &clear, &[("note", "Rechecked: settled.")]).await;
            posted(client, &format!("{sheet}/end"), &[]).await;
            let events = format!("{sheet}/events");
            posted(client, &events, &[("kind", "moaas"), ("moaas", "5")]).await;
            posted(client, &format!("{sheet}/vitals"), &crate::fixtures::NORMAL).await;
            app.clock.advance(time::Duration::minutes(30));
            let signature = [
                ("escort_present", "yes"),
                ("no_driving", "yes"),
                ("signed_name", "Clinician walker-clinician"),
                ("meaning", "yes"),
            ];
            posted(client, &format!("{sheet}/discharge"), &signature).await;
            refuse_on_page(&app.db, &walker, &sheet, &checked, &mut reached).await;
        }

        // Routes that leave the text to the form-body check: the 400 page, naming the field.
        for (method, pattern, _) in &own {
            if *method != axum::http::Method::POST
                || checked.iter().any(|(_, p)| p == pattern)
                || pattern.ends_with("/end")
            {
                continue;
            }
            let path = real_path(pattern, &ids);
            let body = format!("text={}", nul.encoded());
            let page = walker.post(&path, body, "text", "NUL").await;
            assert_eq!(
                page.status,
                StatusCode::BAD_REQUEST,
                "{name} POST {path}: {}",
                page.body
            );
            page.assert_contains("cannot be stored (a NUL byte)")
                .assert_contains("text");
        }
        let statuses = walker.statuses.lock().unwrap().clone();
        assert!(
            statuses.keys().all(|status| *status < 500),
            "{name}: {statuses:?}"
        );
    }
    let missed: Vec<_> = checked
        .iter()
        .map(|(_, p)| *p)
        .filter(|p| !reached.contains(p) && !REACHED_BY_THEIR_OWN_TEST.contains(p))
        .collect();
    assert!(missed.is_empty(), "no page's form reached {missed:?}");
}

/// Routes that check their text but whose forms the walk cannot reach: the walking patient
/// has signed the consent already (booking needs it), a reset link or a login challenge is
/// not on any page, and nobody walking has an optional second factor to turn off. Their own tests post a NUL:
/// `a_nul_in_the_consent_signature_is_refused_beside_the_name` and
/// `a_nul_in_a_new_password_or_a_login_code_is_refused_beside_the_field`.
const REACHED_BY_THEIR_OWN_TEST: [&str; 5] = [
    "/patient/consent/sign",
    "/reset-password/{token}",
    "/login/two-factor",
    "/register/confirm/{token}",
    "/account/two-factor/disable",
];

/// The fields of the first form posting to `action` on the page at `path`.
async fn form_on(client: &Client, path: &str, action: &str) -> Vec<(String, String)> {
    let page = client.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    forms_of(&page.body, path)
        .into_iter()
        .find(|f| f.method == "POST" && f.action == action)
        .unwrap_or_else(|| panic!("no form to {action} on {path}"))
        .fields
}

fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let value = changes
                .iter()
                .find(|(n, _)| n == name)
                .map_or(value.clone(), |(_, v)| (*v).to_owned());
            (name.clone(), value)
        })
        .collect()
}

async fn post_fields(client: &Client, path: &str, fields: &[(String, String)]) -> Page {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(name, _)| name != clinic::web::csrf::FIELD)
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    client.post(path, &fields).await
}

/// Posts the form for `action` found on the page at `path`, with `changes` typed over its
/// values, and checks it was refused (422) rather than saved.
async fn post_refused(client: &Client, path: &str, action: &str, changes: &[(&str, &str)]) -> Page {
    let fields = form_on(client, path, action).await;
    let page = post_fields(client, action, &with(&fields, changes)).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page
}

/// The message as the field's own error line shows it.
fn beside(field: &str) -> String {
    format!(
        "id=\"{field}-error\"><span class=\"visually-hidden\">Error: </span>{}</p>",
        clinic::web::params::UNSTORABLE
    )
}

#[tokio::test]
async fn a_nul_in_the_profile_name_is_refused_beside_the_name_keeping_the_typed_phone() {
    let app = TestApp::spawn().await;
    let (patient, id) =
        crate::fixtures::patient_with_profile(&app, "nul-patient@clinic.test", "Pat Walker").await;
    let page = post_refused(
        &patient,
        "/patient/profile",
        "/patient/profile",
        &[("legal_name", "Pat\0Walker"), ("phone", "+1 555 010 9876")],
    )
    .await;
    page.assert_contains(&beside("legal_name"))
        .assert_contains("value=\"PatWalker\"")
        .assert_contains("value=\"+1 555 010 9876\"");
    let (name, phone): (String, String) =
        sqlx::query_as("SELECT legal_name, phone FROM patients WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(name, "Pat Walker");
    assert_ne!(phone, "+1 555 010 9876");
}

#[tokio::test]
async fn a_nul_in_the_consent_signature_is_refused_beside_the_name() {
    let app = TestApp::spawn().await;
    let (patient, id) =
        crate::fixtures::patient_with_profile(&app, "nul-signer@clinic.test", "Pat Walker").await;
    let page = post_refused(
        &patient,
        "/patient/consent",
        "/patient/consent/sign",
        &[("printed_name", "Pat\0Walker"), ("understood", "yes")],
    )
    .await;
    page.assert_contains(&beside("printed_name"))
        .assert_contains("value=\"PatWalker\"");
    let signatures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM consent_signatures WHERE patient_id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(signatures, 0);
}

#[tokio::test]
async fn a_nul_in_a_new_password_or_a_login_code_is_refused_beside_the_field() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "nul-clinician@clinic.test")
        .await;

    // A reset link's new password: refused beside it, the old password still the one.
    let anonymous = app.client();
    anonymous
        .post(
            "/forgot-password",
            &[("email", "nul-clinician@clinic.test")],
        )
        .await;
    let link =
        crate::support::emailed_link(&app, "password_reset", "nul-clinician@clinic.test").await;
    let reset = crate::support::path_of(&link);
    anonymous.get(&reset).await;
    let page = anonymous
        .post(&reset, &[("new_password", "a long new pass\0phrase")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains(&beside("new_password"));

    // A registration link's password: refused beside it, not counted, no account yet.
    let newcomer = app.client();
    newcomer
        .post(
            "/register",
            &[
                ("name", "Nul Newcomer"),
                ("email", "nul-newcomer@clinic.test"),
                ("date_of_birth", "1980-01-01"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let link = crate::support::emailed_link(&app, "registration", "nul-newcomer@clinic.test").await;
    let confirm = crate::support::path_of(&link);
    let page = newcomer
        .post(&confirm, &[("password", "a long pass\0phrase")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains(clinic::web::params::UNSTORABLE);
    let confirmed = newcomer.post(&confirm, &[("password", PASSWORD)]).await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );

    // The login code: refused beside it and not counted; the right code then works.
    let client = app.client();
    let asked = client
        .post(
            "/login",
            &[
                ("email", "nul-clinician@clinic.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(asked.location(), "/login/two-factor");
    let failures = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM login_failures")
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let before = failures(&app).await;
    let page = client
        .post("/login/two-factor", &[("code", "12\u{0}3456")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains("id=\"code-error\" role=\"alert\"")
        .assert_contains(clinic::web::params::UNSTORABLE);
    assert_eq!(failures(&app).await, before);
    let done = client
        .post(
            "/login/two-factor",
            &[("code", &crate::support::totp_now())],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_ne!(done.location(), "/login/two-factor");

    // Turning an optional second factor off asks for the password: refused beside it, not
    // counted as a guess, the second factor still on.
    let patient_id = app
        .add_user(Role::Patient, "nul-patient-2fa@clinic.test")
        .await;
    app.set_up_two_factor(patient_id).await;
    let patient = app.client();
    patient.login("nul-patient-2fa@clinic.test", PASSWORD).await;
    patient.get("/account/two-factor").await;
    let before = failures(&app).await;
    let page = patient
        .post(
            "/account/two-factor/disable",
            &[("current_password", "pass\0word")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains(clinic::web::params::UNSTORABLE);
    assert_eq!(failures(&app).await, before);
    let still_on: bool =
        sqlx::query_scalar("SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = $1")
            .bind(patient_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(still_on);
}

#[tokio::test]
async fn a_nul_in_the_clinic_name_is_refused_beside_it_and_the_settings_kept() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "nul-admin@clinic.test").await;
    let before: String = sqlx::query_scalar("SELECT clinic_name FROM clinic_settings")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let page = post_refused(
        &admin,
        "/admin/settings",
        "/admin/settings",
        &[
            ("clinic_name", "North\0 Clinic"),
            ("clinic_phone", "+1 555 010 4444"),
        ],
    )
    .await;
    page.assert_contains(&beside("clinic_name"))
        .assert_contains("value=\"North Clinic\"")
        .assert_contains("value=\"+1 555 010 4444\"");
    let (name, phone): (String, String) =
        sqlx::query_as("SELECT clinic_name, clinic_phone FROM clinic_settings")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(name, before);
    assert_ne!(phone, "+1 555 010 4444");
}

#[tokio::test]
async fn a_nul_in_a_chair_name_is_refused_beside_it_and_no_chair_added() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "nul-admin@clinic.test").await;
    let chairs = "SELECT count(*) FROM chairs";
    let before: i64 = sqlx::query_scalar(chairs).fetch_one(&app.db).await.unwrap();
    let page = admin
        .post("/admin/scheduling/chairs", &[("name", "Recliner\0 9")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    page.assert_contains(&format!(
        "id=\"chair_name-error\">{}</p>",
        clinic::web::params::UNSTORABLE
    ))
    .assert_contains("value=\"Recliner 9\"");
    let after: i64 = sqlx::query_scalar(chairs).fetch_one(&app.db).await.unwrap();
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_nul_in_a_consent_draft_is_refused_beside_the_field_and_the_draft_kept() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "nul-admin@clinic.test").await;
    let created = admin.post("/admin/consent/drafts", &[]).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let editor = created.location().to_owned();
    let id: i64 = editor.rsplit('/').next().unwrap().parse().unwrap();
    let saved = "SELECT title || '|' || body FROM consent_versions WHERE id = $1";
    let before: String = sqlx::query_scalar(saved)
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    for (field, bad) in [("title", "Consent\0 v2"), ("body", "Read\0 this.")] {
        let page = post_refused(
            &admin,
            &editor,
            &editor,
            // The first change naming a field wins.
            &[
                (field, bad),
                ("title", "Consent v2"),
                ("body", "Read this."),
            ],
        )
        .await;
        page.assert_contains(&beside(field))
            .assert_contains("Consent v2")
            .assert_contains("Read this.");
        let after: String = sqlx::query_scalar(saved)
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(after, before, "{field}");
    }
}
