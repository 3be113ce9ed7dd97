//! Real headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`).
//! Locally they are skipped with a loud note when chromedriver is missing; under CI (CI set)
//! a missing browser fails the run.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use clinic::auth::model::Role;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Browser {
    /// Ends chromedriver and every Chromium process it started (they share its process
    /// group), also when a test fails before closing its session.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Starts chromedriver and a headless Chromium window of the given size, or `None` (local
/// runs without a browser installed).
pub(crate) async fn browser(width: u32, height: u32) -> Option<Browser> {
    let driver_path = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let chromium = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let (Some(driver_path), Some(chromium)) = (driver_path, chromium) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser tests: install Debian's chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED browser test: chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(driver_path)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = TempDir(
        std::env::temp_dir().join(format!("clinic-chromium-{}", clinic::web::random_hex(6))),
    );
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        format!("--user-data-dir={}", profile.0.display()),
        format!("--window-size={width},{height}"),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(capabilities);
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = None;
    for _ in 0..50 {
        match builder.connect(&url).await {
            Ok(client) => {
                client.set_window_size(width, height).await.unwrap();
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                });
            }
            Err(e) => {
                last_error = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("chromedriver did not start a session: {last_error:?}");
}

pub(crate) async fn fill(client: &Client, id: &str, value: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// The visible text of the element with this id, once the page shows it.
pub(crate) async fn text_of(client: &Client, id: &str) -> String {
    client
        .wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// What a form field with this id holds now.
async fn value_of(client: &Client, id: &str) -> Option<String> {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
}

pub(crate) async fn wait_for_path(client: &Client, path: &str) {
    for _ in 0..100 {
        if client.current_url().await.unwrap().path() == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "browser never reached {path}; it is at {}",
        client.current_url().await.unwrap()
    );
}

pub(crate) async fn submit(client: &Client, action: &str) {
    let selector = format!("form[action='{action}'] button[type=submit]");
    client
        .find(Locator::Css(&selector))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Fills and sends the login form shown in the browser, and the authenticator code when the
/// app asks for one (test staff accounts use [`crate::support::TOTP_SECRET`]).
async fn log_in(client: &Client, email: &str, password: &str) {
    fill(client, "email", email).await;
    fill(client, "password", password).await;
    submit(client, "/login").await;
    for _ in 0..100 {
        let path = client.current_url().await.unwrap().path().to_owned();
        if path == "/login/two-factor" {
            fill(client, "code", &crate::support::totp_now()).await;
            submit(client, "/login/two-factor").await;
            return;
        }
        if path != "/login" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens the login page, logs in with the test password and waits to land on `lands_on`.
async fn log_in_from_start(client: &Client, app: &TestApp, email: &str, lands_on: &str) {
    client.goto(&format!("{}/login", app.base)).await.unwrap();
    log_in(client, email, PASSWORD).await;
    wait_for_path(client, lands_on).await;
}

pub(crate) async fn log_out(client: &Client) {
    client
        .find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(client, "/login").await;
}

pub(crate) async fn heading(client: &Client) -> String {
    client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The page fits the window: nothing to scroll sideways.
pub(crate) async fn assert_fits_width(client: &Client, page: &str) {
    let widths = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let scroll = widths[0].as_u64().unwrap();
    let inner = widths[1].as_u64().unwrap();
    if scroll > inner {
        let culprit = client
            .execute(
                "const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1);\
                 return wide.slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ');",
                vec![],
            )
            .await
            .unwrap();
        panic!(
            "{page} scrolls sideways: content {scroll}px in a {inner}px window; widest: {culprit}"
        );
    }
}

/// An emailed link, pointed at the test server (links start with the configured address).
fn link_here(app: &TestApp, link: &str) -> String {
    format!("{}{}", app.base, crate::support::path_of(link))
}

async fn screenshot(client: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test]
async fn browser_a_patient_registers_and_logs_in_on_a_phone() {
    let app = TestApp::spawn().await;
    let Some(browser) = browser(360, 780).await else {
        return;
    };
    let client = &browser.client;

    client
        .goto(&format!("{}/register", app.base))
        .await
        .unwrap();
    assert_fits_width(client, "/register").await;
    // A mistake first: the error shows next to the field and the typed values stay.
    fill(client, "name", "Ann Example").await;
    fill(client, "email", "ann@example.com").await;
    fill(client, "password", "password").await;
    submit(client, "/register").await;
    let error = text_of(client, "password-error").await;
    assert!(error.contains("commonly used"), "{error}");
    let kept = value_of(client, "name").await;
    assert_eq!(kept.as_deref(), Some("Ann Example"));
    assert_fits_width(client, "/register with errors").await;
    screenshot(client, "register-errors-360").await;

    // Date inputs take keys in the browser's locale; set the ISO value as the picker would.
    client
        .execute(
            "document.getElementById('date_of_birth').value = '1984-03-27';",
            vec![],
        )
        .await
        .unwrap();
    fill(client, "password", "correct horse battery staple").await;
    // The password can be shown while typing (progressive enhancement).
    client
        .find(Locator::Css("button.reveal"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let kind = client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .attr("type")
        .await
        .unwrap();
    assert_eq!(kind.as_deref(), Some("text"));
    submit_and_wait(client, "/register").await;
    // The same answer whoever owns the address: the account waits for the emailed link.
    assert_eq!(heading(client).await, "Check your email");
    assert_fits_width(client, "/register sent").await;
    let link = crate::support::emailed_link(&app, "registration", "ann@example.com").await;
    client.goto(&link_here(&app, &link)).await.unwrap();
    assert_eq!(heading(client).await, "Finish creating your account");
    assert_fits_width(client, "/register/confirm").await;
    fill(client, "password", "correct horse battery staple").await;
    client
        .find(Locator::Css(
            "form[action^='/register/confirm/'] button[type=submit]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(client, "/patient").await;
    assert_eq!(heading(client).await, "Welcome, Ann Example");
    assert_fits_width(client, "/patient").await;
    screenshot(client, "patient-home-360").await;

    log_out(client).await;
    log_in(client, "ann@example.com", "correct horse battery staple").await;
    wait_for_path(client, "/patient").await;
    assert_eq!(heading(client).await, "Welcome, Ann Example");
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn browser_a_clinician_logs_in_and_sees_their_home_page() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let Some(browser) = browser(1280, 900).await else {
        return;
    };
    let client = &browser.client;

    client
        .goto(&format!("{}/clinician", app.base))
        .await
        .unwrap();
    wait_for_path(client, "/login").await;
    log_in(client, "casey@clinic.test", PASSWORD).await;
    wait_for_path(client, "/clinician").await;
    assert_eq!(heading(client).await, "Clinician");
    let current = client
        .find(Locator::Css("nav a[aria-current=page]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(current, "Clinician");
    screenshot(client, "clinician-home-1280").await;
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn browser_every_admin_page_fits_a_phone_screen() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Admin, "avery@clinic.test").await;
    app.add_user(
        Role::FrontDesk,
        "a.very.long.email.address.for.frankie@front-desk.clinic.test",
    )
    .await;
    let Some(browser) = browser(360, 780).await else {
        return;
    };
    let client = &browser.client;
    client.goto(&format!("{}/login", app.base)).await.unwrap();
    assert_fits_width(client, "/login").await;
    log_in(client, "avery@clinic.test", PASSWORD).await;
    wait_for_path(client, "/admin").await;
    for path in [
        "/admin",
        "/admin/staff",
        "/admin/staff/new",
        "/admin/settings",
        "/admin/audit",
        "/no-such-page",
    ] {
        client.goto(&format!("{}{path}", app.base)).await.unwrap();
        assert_fits_width(client, path).await;
    }
    client
        .goto(&format!("{}/admin/staff", app.base))
        .await
        .unwrap();
    screenshot(client, "admin-staff-360").await;
    browser.client.clone().close().await.unwrap();
}

/// Clicks every radio button with this value (one per question on the page).
async fn choose_everywhere(client: &Client, value: &str) {
    let radios = client
        .find_all(Locator::Css(&format!("input[type=radio][value='{value}']")))
        .await
        .unwrap();
    for radio in radios {
        radio.click().await.unwrap();
    }
}

pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn browser_screening_from_phone_to_clinician_decision() {
    let app = TestApp::spawn().await;
    app.sql("UPDATE clinic_settings SET clinic_phone = '+1 555 010 9999'")
        .await;
    app.add_user(Role::Patient, "ann@clinic.test").await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    // A second patient has answered everything except the last click, with item 9 positive.
    let (other, _) =
        crate::fixtures::patient_with_profile(&app, "risk@clinic.test", "Riley Risk").await;
    crate::fixtures::fill_screening(&other, &[("phq9", "item9", "2")]).await;

    let Some(browser) = browser(360, 740).await else {
        return;
    };
    let client = &browser.client;
    log_in_from_start(client, &app, "ann@clinic.test", "/patient").await;
    ann_fills_in_her_details_on_a_phone(client, &app).await;
    ann_answers_every_step_and_sends_her_screening(client, &app).await;
    the_other_patient_is_shown_crisis_resources_at_once(client, &app).await;
    the_clinician_sees_the_urgent_one_first_then_approves_ann(client, &app).await;
    browser.client.clone().close().await.unwrap();
}

async fn ann_fills_in_her_details_on_a_phone(client: &Client, app: &TestApp) {
    // Details first: the screening needs weight, height and an emergency contact.
    client
        .goto(&format!("{}/patient/profile", app.base))
        .await
        .unwrap();
    fill(client, "legal_name", "Ann Example").await;
    click(client, "label[for=sex-female]").await;
    fill(client, "phone", "+1 555 010 2000").await;
    fill(client, "address", "1 Main St, Springfield").await;
    fill(client, "emergency_contact_name", "Bob Example").await;
    fill(client, "emergency_contact_phone", "555 010 3000").await;
    fill(client, "weight", "160").await;
    client
        .find(Locator::Css("#weight_unit option[value=lb]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(client, "height_cm", "168").await;
    assert_fits_width(client, "/patient/profile").await;
    submit(client, "/patient/profile").await;
    client.find(Locator::Css("p.notice")).await.unwrap();
}

/// Every step answered on a phone that fits each page; the screening awaits review.
async fn ann_answers_every_step_and_sends_her_screening(client: &Client, app: &TestApp) {
    client
        .goto(&format!("{}/patient/screening", app.base))
        .await
        .unwrap();
    submit(client, "/patient/screening/start").await;
    wait_for_path(client, "/patient/screening/step/medical").await;
    let mut pages = 0;
    while client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/patient/screening/step/")
    {
        let path = client.current_url().await.unwrap().path().to_owned();
        assert_fits_width(client, &path).await;
        choose_everywhere(client, "no").await;
        choose_everywhere(client, "0").await;
        if path.ends_with("/psychiatric") {
            fill(client, "antidepressant_trials", "3").await;
        }
        if path.ends_with("/medications") {
            fill(client, "medications", "sertraline 50 mg").await;
            fill(client, "allergies", "none").await;
        }
        if path.ends_with("/phq9") {
            screenshot(client, "screening-phq9-360").await;
        }
        click(client, "button[value=continue]").await;
        for _ in 0..50 {
            if client.current_url().await.unwrap().path() != path {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_ne!(
            client.current_url().await.unwrap().path(),
            path,
            "step {path} did not move on"
        );
        pages += 1;
    }
    assert_eq!(pages, 7, "every step was answered");
    wait_for_path(client, "/patient/screening/review").await;
    assert_fits_width(client, "/patient/screening/review").await;
    submit(client, "/patient/screening/submit").await;
    wait_for_path(client, "/patient/screening").await;
    let standing = client
        .find(Locator::Css(".standing"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(standing, "Awaiting clinician review");
}

async fn the_other_patient_is_shown_crisis_resources_at_once(client: &Client, app: &TestApp) {
    // The other patient sends theirs: crisis resources at once.
    log_out(client).await;
    log_in(client, "risk@clinic.test", PASSWORD).await;
    wait_for_path(client, "/patient").await;
    client
        .goto(&format!("{}/patient/screening/review", app.base))
        .await
        .unwrap();
    submit(client, "/patient/screening/submit").await;
    wait_for_path(client, "/patient/screening/support").await;
    assert_eq!(heading(client).await, "Support is available now");
    client
        .find(Locator::Css("a[href='tel:988']"))
        .await
        .unwrap();
    client
        .find(Locator::Css("a[href='tel:911']"))
        .await
        .unwrap();
    assert_fits_width(client, "/patient/screening/support").await;
    screenshot(client, "screening-support-360").await;
    log_out(client).await;
}

async fn the_clinician_sees_the_urgent_one_first_then_approves_ann(client: &Client, app: &TestApp) {
    // The clinician sees the urgent one first, then approves Ann.
    log_in(client, "casey@clinic.test", PASSWORD).await;
    wait_for_path(client, "/clinician").await;
    client
        .goto(&format!("{}/clinician/screenings", app.base))
        .await
        .unwrap();
    let first = client
        .find(Locator::Css("tbody tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        first.contains("Urgent") && first.contains("Riley Risk"),
        "{first}"
    );
    let ann_link = client
        .find(Locator::XPath("//tr[contains(., 'Ann Example')]//a"))
        .await
        .unwrap();
    ann_link.click().await.unwrap();
    client
        .find(Locator::Css("form.decision-form"))
        .await
        .unwrap();
    assert_fits_width(client, "clinician review").await;
    click(client, "label[for=decision-eligible]").await;
    fill(
        client,
        "clinician_note",
        "Unremarkable history; weight 72.6 kg.",
    )
    .await;
    fill(
        client,
        "patient_message",
        "Welcome: you can now book your first infusion.",
    )
    .await;
    screenshot(client, "clinician-review-360").await;
    click(client, "form.decision-form button[type=submit]").await;
    wait_for_path(client, "/clinician/screenings").await;
    let notice = client
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notice.contains("Decision recorded"), "{notice}");
    let decided: String = sqlx::query_scalar("SELECT decision::text FROM screening_decisions d JOIN screenings s ON s.id = d.screening_id JOIN patients p ON p.id = s.patient_id WHERE p.legal_name = 'Ann Example'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(decided, "eligible");
}

#[tokio::test]
async fn browser_consent_signed_on_a_phone_then_countersigned_and_printed() {
    let app = TestApp::spawn().await;
    crate::fixtures::patient_with_profile(&app, "pat@clinic.test", "Pat Signer").await;
    app.add_user(Role::Clinician, "casey@clinic.test").await;
    let Some(browser) = browser(360, 740).await else {
        return;
    };
    let client = &browser.client;
    log_in_from_start(client, &app, "pat@clinic.test", "/patient").await;
    client
        .goto(&format!("{}/patient/consent", app.base))
        .await
        .unwrap();
    assert_fits_width(client, "/patient/consent").await;
    let document = text_of(client, "document").await;
    assert!(document.contains("Do not drive"), "{document}");
    screenshot(client, "consent-read-360").await;

    // A name that does not match the record: the message sits by the field, the name stays.
    fill(client, "printed_name", "Pat Singer").await;
    click(client, "label[for=understood]").await;
    submit(client, "/patient/consent/sign").await;
    let error = text_of(client, "printed_name-error").await;
    assert!(error.contains("must match"), "{error}");
    let kept = value_of(client, "printed_name").await;
    assert_eq!(kept.as_deref(), Some("Pat Singer"));
    assert_fits_width(client, "/patient/consent with errors").await;

    fill(client, "printed_name", "pat signer").await;
    let ticked = client
        .find(Locator::Id("understood"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    if ticked.as_deref() != Some("true") {
        click(client, "label[for=understood]").await;
    }
    submit(client, "/patient/consent/sign").await;
    wait_for_path(client, "/patient/consent").await;
    let standing = client
        .find(Locator::Css(".standing"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(standing, "Signed (version 1)");
    screenshot(client, "consent-signed-360").await;
    log_out(client).await;

    // The clinician countersigns from the work list and prints the signed copy.
    client.set_window_size(1280, 900).await.unwrap();
    log_in(client, "casey@clinic.test", PASSWORD).await;
    wait_for_path(client, "/clinician").await;
    client
        .goto(&format!("{}/clinician/consents", app.base))
        .await
        .unwrap();
    click(client, "a.button.small").await;
    click(client, "label[for=understood]").await;
    let path = client.current_url().await.unwrap().path().to_owned();
    submit(client, &format!("{path}/countersign")).await;
    client
        .wait()
        .for_element(Locator::XPath("//h3[text()='Clinician']"))
        .await
        .unwrap();
    // Script shows the print button; the browser's print gives the signed copy as a PDF.
    let print_button = client
        .find(Locator::Css("button[data-print]"))
        .await
        .unwrap();
    assert!(print_button.is_displayed().await.unwrap());
    let pdf = client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::write(dir.join("consent-signed-copy.pdf"), &pdf).unwrap();
    screenshot(client, "consent-countersigned-1280").await;
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn browser_a_clinician_sets_up_two_factor_login_and_logs_in_with_a_code() {
    let app = TestApp::spawn().await;
    app.add_user_without_two_factor(Role::Clinician, "casey@clinic.test")
        .await;
    let Some(browser) = browser(1280, 900).await else {
        return;
    };
    let client = &browser.client;
    client.goto(&format!("{}/login", app.base)).await.unwrap();
    log_in(client, "casey@clinic.test", PASSWORD).await;
    // Required for clinicians: the first login goes straight to the setup.
    wait_for_path(client, "/account/two-factor").await;
    assert!(
        client
            .find(Locator::Css(".qr svg"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    screenshot(client, "two-factor-setup-1280").await;
    // The person types the key into their app (here: computes the code from it).
    let typed: String = text_of(client, "totp-secret")
        .await
        .split_whitespace()
        .collect();
    let secret = totp_rs::Secret::Encoded(typed).to_bytes().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    fill(
        client,
        "code",
        &clinic::auth::two_factor::code_at(&secret, now).unwrap(),
    )
    .await;
    fill(client, "current_password", PASSWORD).await;
    submit(client, "/account/two-factor").await;
    let codes = text_of(client, "recovery-codes").await;
    assert_eq!(codes.lines().count(), 10, "{codes}");
    click(client, "a.button.primary").await;
    wait_for_path(client, "/clinician").await;
    log_out(client).await;

    // Next login: password, then the code the app shows (the next one: the first is spent).
    fill(client, "email", "casey@clinic.test").await;
    fill(client, "password", PASSWORD).await;
    submit(client, "/login").await;
    wait_for_path(client, "/login/two-factor").await;
    screenshot(client, "two-factor-login-1280").await;
    fill(
        client,
        "code",
        &clinic::auth::two_factor::code_at(&secret, now + 30).unwrap(),
    )
    .await;
    submit(client, "/login/two-factor").await;
    wait_for_path(client, "/clinician").await;
    assert_eq!(heading(client).await, "Clinician");
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn browser_the_front_desk_books_for_a_cleared_patient_and_is_told_why_not_for_another() {
    let app = TestApp::spawn().await;
    let casey = crate::fixtures::clinician_working_every_day(&app, "casey@clinic.test").await;
    let (_, cleo) =
        crate::fixtures::patient_with_profile(&app, "cleo@clinic.test", "Cleo Cleared").await;
    crate::fixtures::clear_for_infusions(&app, cleo, casey).await;
    let (_, uma) =
        crate::fixtures::patient_with_profile(&app, "uma@clinic.test", "Uma Uncleared").await;
    app.add_user(Role::FrontDesk, "desk@clinic.test").await;
    let Some(browser) = browser(1280, 900).await else {
        return;
    };
    let client = &browser.client;
    log_in_from_start(client, &app, "desk@clinic.test", "/front-desk").await;

    // Find Cleo, open her appointments, book a consultation at the first open time.
    client
        .goto(&format!("{}/front-desk/patients?q=cleo", app.base))
        .await
        .unwrap();
    click(client, "a.button.small").await;
    wait_for_path(client, &format!("/patients/{cleo}/appointments")).await;
    for kind in ["consultation", "infusion"] {
        client
            .goto(&format!("{}/patients/{cleo}/book?kind={kind}", app.base))
            .await
            .unwrap();
        // The first open time of the week (today's may have passed: take any shown).
        click(client, "fieldset.slots input[type=radio]").await;
        submit(client, &format!("/patients/{cleo}/book?kind={kind}")).await;
        let notice = client
            .wait()
            .for_element(Locator::Css("p.notice"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(notice.starts_with("Booked"), "{kind}: {notice}");
    }
    client
        .goto(&format!("{}/patients/{cleo}/appointments", app.base))
        .await
        .unwrap();
    let list = text_of(client, "main").await;
    assert!(
        list.contains("Consultation") && list.contains("Infusion"),
        "{list}"
    );
    screenshot(client, "front-desk-booked-1280").await;

    // Uma is not cleared: the page says what is missing and offers no times.
    client
        .goto(&format!("{}/patients/{uma}/book?kind=infusion", app.base))
        .await
        .unwrap();
    let gate = text_of(client, "gate").await;
    assert!(gate.contains("screening not started"), "{gate}");
    assert!(gate.contains("Consent is not current"), "{gate}");
    assert!(
        client.find(Locator::Css("fieldset.slots")).await.is_err(),
        "no times offered"
    );
    screenshot(client, "front-desk-gate-1280").await;
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn browser_a_patient_books_and_cancels_on_a_phone() {
    let app = TestApp::spawn().await;
    crate::fixtures::clinician_working_every_day(&app, "casey@clinic.test").await;
    let user = app.add_user(Role::Patient, "pat@clinic.test").await;
    app.sql(&format!(
        "UPDATE users SET email_verified_at = now() WHERE id = {user}"
    ))
    .await;
    let Some(browser) = browser(360, 740).await else {
        return;
    };
    let client = &browser.client;
    log_in_from_start(client, &app, "pat@clinic.test", "/patient").await;
    client
        .goto(&format!("{}/patient/appointments", app.base))
        .await
        .unwrap();
    assert_fits_width(client, "/patient/appointments").await;
    click(
        client,
        "a[href='/patient/appointments/book?kind=consultation']",
    )
    .await;
    wait_for_path(client, "/patient/appointments/book").await;
    assert_fits_width(client, "/patient/appointments/book").await;
    screenshot(client, "patient-book-360").await;
    click(client, "fieldset.slots input[type=radio]").await;
    submit(client, "/patient/appointments/book?kind=consultation").await;
    wait_for_path(client, "/patient/appointments").await;
    let notice = text_of(client, "main").await;
    assert!(notice.contains("Booked."), "{notice}");
    assert!(notice.contains("Consultation with"), "{notice}");
    assert_fits_width(client, "/patient/appointments with a booking").await;

    // Cancel, confirming in the browser's dialog.
    click(client, "form[action$='/cancel'] button").await;
    client.accept_alert().await.unwrap();
    let after = client
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(after.contains("cancelled"), "{after}");
    assert!(text_of(client, "main").await.contains("Nothing booked"));
    screenshot(client, "patient-cancelled-360").await;
    browser.client.clone().close().await.unwrap();
}

/// Selects the option with this value in the `<select>` with this id.
async fn choose(client: &Client, id: &str, value: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn tick(client: &Client, css: &str) {
    let checkbox = client.find(Locator::Css(css)).await.unwrap();
    if checkbox.prop("checked").await.unwrap().as_deref() != Some("true") {
        checkbox.click().await.unwrap();
    }
}

/// Types one set of vitals into the form on the page (check-in or a reading).
async fn type_vitals(client: &Client, vitals: [&str; 5]) {
    for (id, value) in ["systolic", "diastolic", "heart_rate", "spo2", "resp_rate"]
        .into_iter()
        .zip(vitals)
    {
        fill(client, id, value).await;
    }
}

/// Sends the form and waits until the browser shows the page that answers it (which may
/// have the same address as the form's page).
async fn submit_and_wait(client: &Client, action: &str) {
    client
        .execute("window.clinicFormSent = true;", vec![])
        .await
        .unwrap();
    submit(client, action).await;
    for _ in 0..200 {
        let answered = client
            .execute(
                "return window.clinicFormSent === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await;
        // While the next page loads, the script may find no document to run in.
        if matches!(answered, Ok(serde_json::Value::Bool(true))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer to the form {action}");
}

/// Sends a flowsheet form and waits for the page it leads back to.
async fn send_sheet_form(client: &Client, sheet: &str, step: &str) {
    submit_and_wait(client, &format!("{sheet}/{step}")).await;
    wait_for_path(client, sheet).await;
}

#[tokio::test]
async fn browser_an_infusion_from_check_in_to_signed_discharge_then_the_patients_chart() {
    let app = TestApp::spawn().await;
    let casey = app.add_user(Role::Clinician, "casey@clinic.test").await;
    let (_, ann) =
        crate::fixtures::patient_with_profile(&app, "ann@clinic.test", "Ann Infused").await;
    crate::fixtures::clear_for_infusions(&app, ann, casey).await;
    let sheet = crate::fixtures::infusion_now(&app, ann, casey).await;
    let appointment = sheet.trim_start_matches("/infusions/").to_owned();
    let Some(browser) = browser(360, 740).await else {
        return;
    };
    let client = &browser.client;
    before_the_visit_ann_answers_item_9_and_sees_crisis_resources(client, &app, &appointment).await;
    the_clinician_opens_the_flowsheet_with_her_risk_answer_on_top(
        client,
        &app,
        &appointment,
        &sheet,
    )
    .await;
    check_in_and_order_with_a_corrected_weight(client, &sheet).await;
    the_risk_answer_holds_the_start_until_assessed(client, &app, &sheet).await;
    an_alarming_reading_is_marked_and_its_alert_cleared(client, &sheet).await;
    discharge_waits_for_recovery_then_is_signed(client, &app, &sheet, casey).await;
    afterwards_ann_sees_her_chart_on_her_phone(client, &app).await;
    browser.client.clone().close().await.unwrap();
}

async fn before_the_visit_ann_answers_item_9_and_sees_crisis_resources(
    client: &Client,
    app: &TestApp,
    appointment: &str,
) {
    // Before the visit the patient fills the pre-session PHQ-9 and GAD-7 on her phone, and
    // answers item 9 (thoughts of self-harm) "several days".
    log_in_from_start(client, app, "ann@clinic.test", "/patient").await;
    client
        .goto(&format!("{}/patient/appointments", app.base))
        .await
        .unwrap();
    let measures = format!("/patient/appointments/{appointment}/measures");
    click(client, &format!("a[href='{measures}']")).await;
    wait_for_path(client, &measures).await;
    assert_fits_width(client, &measures).await;
    for (item, answer) in (1..=9)
        .map(|n| (format!("phq9_{n}"), if n == 9 { "1" } else { "2" }))
        .chain((1..=7).map(|n| (format!("gad7_{n}"), "1")))
    {
        click(client, &format!("input[name='{item}'][value='{answer}']")).await;
    }
    submit_and_wait(client, &measures).await;
    let thanks = text_of(client, "main").await;
    assert!(
        thanks.contains("Thank you") || thanks.contains("sent"),
        "{thanks}"
    );
    // The crisis resources at once, on the phone.
    assert!(thanks.contains("You are not alone"), "{thanks}");
    assert!(thanks.contains("988"), "{thanks}");
    log_out(client).await;
}

async fn the_clinician_opens_the_flowsheet_with_her_risk_answer_on_top(
    client: &Client,
    app: &TestApp,
    appointment: &str,
    sheet: &str,
) {
    // The clinician, on a tablet, opens the infusion from the day's schedule.
    client.set_window_size(768, 1024).await.unwrap();
    log_in_from_start(client, app, "casey@clinic.test", "/clinician").await;
    client
        .goto(&format!("{}/schedule", app.base))
        .await
        .unwrap();
    click(client, &format!("a[href='/appointments/{appointment}']")).await;
    wait_for_path(client, &format!("/appointments/{appointment}")).await;
    click(client, &format!("a[href='{sheet}']")).await;
    wait_for_path(client, sheet).await;
    let check_in = text_of(client, "main").await;
    assert!(
        check_in.contains("A suicide-risk answer is waiting for a clinician"),
        "{check_in}"
    );
    assert!(check_in.contains("Pre-session PHQ-9: 17"), "{check_in}");
    // Her risk answer stands at the top of the flowsheet.
    let alerts = text_of(client, "alerts").await;
    assert!(alerts.contains("Suicide-risk answer"), "{alerts}");
    assert!(check_in.contains("Pre-session GAD-7: 7"), "{check_in}");
    assert_fits_width(client, "the flowsheet at check-in").await;
}

/// Check-in, with a slip refused beside the field; the dose; a corrected weight voids it and
/// the dose is ordered again.
async fn check_in_and_order_with_a_corrected_weight(client: &Client, sheet: &str) {
    // Check-in: a slip of the finger is refused beside the field and the rest is kept.
    tick(client, "input[name='fasting']").await;
    tick(client, "input[name='escort']").await;
    choose(client, "pregnancy_test", "negative").await;
    fill(client, "weight_kg", "72.4").await;
    type_vitals(client, ["1280", "82", "76", "98", "14"]).await;
    submit_and_wait(client, &format!("{sheet}/check-in")).await;
    let refused = text_of(client, "systolic-error").await;
    assert!(!refused.is_empty());
    assert_eq!(value_of(client, "weight_kg").await.as_deref(), Some("72.4"));
    assert_eq!(value_of(client, "systolic").await.as_deref(), Some("1280"));
    fill(client, "systolic", "128").await;
    send_sheet_form(client, sheet, "check-in").await;
    assert!(text_of(client, "main").await.contains("weight 72.4 kg"));

    // The protocol's dose for today's weight.
    fill(client, "lot_number", "KX-2026/11").await;
    send_sheet_form(client, sheet, "order").await;
    assert!(text_of(client, "main").await.contains("36.2 mg"));

    // The scale is read again: 70 kg. The correction voids the order, which the page keeps
    // and explains; the clinician orders again for the new weight, then starts.
    fill(client, "weight_kg", "70").await;
    type_vitals(client, ["128", "82", "76", "98", "14"]).await;
    send_sheet_form(client, sheet, "check-in").await;
    let voided = text_of(client, "main").await;
    assert!(voided.contains("Order voided"), "{voided}");
    assert!(
        voided.contains("The weight changed from 72.4 kg to 70 kg after the order."),
        "{voided}"
    );
    let refused_start = text_of(client, "start-error").await;
    assert!(refused_start.contains("Order the dose."), "{refused_start}");
    fill(client, "lot_number", "KX-2026/11").await;
    send_sheet_form(client, sheet, "order").await;
    assert!(text_of(client, "main").await.contains("35 mg"));
}

async fn the_risk_answer_holds_the_start_until_assessed(
    client: &Client,
    app: &TestApp,
    sheet: &str,
) {
    // The risk answer holds the start until the clinician records the assessment.
    submit_and_wait(client, &format!("{sheet}/start")).await;
    let held = text_of(client, "start-error").await;
    assert!(
        held.contains("A suicide-risk answer is waiting for a clinician"),
        "{held}"
    );
    let alert: i64 = sqlx::query_scalar("SELECT id FROM clinical_alerts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    fill(
        client,
        &format!("note-{alert}"),
        "Passive thoughts, no plan or intent; safety plan reviewed; fit to proceed.",
    )
    .await;
    send_sheet_form(client, sheet, &format!("alerts/{alert}/clear")).await;
    assert!(
        client.find(Locator::Id("alerts")).await.is_err(),
        "assessed"
    );
    let assessed = text_of(client, "main").await;
    assert!(
        assessed.contains("Consent current and screening valid."),
        "{assessed}"
    );
    send_sheet_form(client, sheet, "start").await;
    assert!(text_of(client, "main").await.contains("Started at"));
}

async fn an_alarming_reading_is_marked_and_its_alert_cleared(client: &Client, sheet: &str) {
    // Vitals during the infusion; an alert value is marked in the timeline.
    type_vitals(client, ["132", "84", "78", "89", "14"]).await;
    send_sheet_form(client, sheet, "vitals").await;
    let alert = client
        .find(Locator::Css("table.timeline td.alert"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(alert.starts_with("89"), "{alert}");
    assert!(client.find(Locator::Css(".chart svg")).await.is_ok());
    let clock = client
        .find(Locator::Css("p.reading-clock"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(clock.contains("Next due at"), "{clock}");
    // The low SpO2 raised an alert at the top of the sheet; it holds the discharge until a
    // clinician records what was done about it.
    let waiting = text_of(client, "main").await;
    assert!(
        waiting.contains("Alerts waiting for a clinician"),
        "{waiting}"
    );
    assert!(waiting.contains("SpO2 89"), "{waiting}");
    client
        .find(Locator::Css("form.alert-clear textarea"))
        .await
        .unwrap()
        .send_keys("Chin lift, oxygen 2 L/min; SpO2 back to 98 % within a minute.")
        .await
        .unwrap();
    client
        .find(Locator::Css("form.alert-clear button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Same address before and after: wait for the alert's form to go instead.
    for _ in 0..100 {
        if client
            .find_all(Locator::Css("form.alert-clear"))
            .await
            .is_ok_and(|forms| forms.is_empty())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cleared = text_of(client, "main").await;
    assert!(
        !cleared.contains("Alerts waiting for a clinician"),
        "{cleared}"
    );
}

/// A side effect; then the discharge is refused until she is alert, recovered and observed,
/// and signed once she is.
async fn discharge_waits_for_recovery_then_is_signed(
    client: &Client,
    app: &TestApp,
    sheet: &str,
    casey: i64,
) {
    // A side effect with what was given for it.
    choose(client, "kind", "side_effect").await;
    choose(client, "side_effect", "nausea").await;
    choose(client, "severity", "mild").await;
    fill(client, "intervention", "ondansetron 4 mg").await;
    send_sheet_form(client, sheet, "events").await;
    send_sheet_form(client, sheet, "end").await;

    // Discharge is refused until the patient is alert and recovered; what is missing shows.
    tick(client, "#escort_present").await;
    tick(client, "#no_driving").await;
    fill(client, "signed_name", "Test User").await;
    tick(client, "#meaning").await;
    submit_and_wait(client, &format!("{sheet}/discharge")).await;
    let missing = text_of(client, "discharge-error").await;
    assert!(missing.contains("MOAA/S"), "{missing}");
    assert!(
        client
            .find(Locator::Css("#no_driving"))
            .await
            .unwrap()
            .prop("checked")
            .await
            .unwrap()
            .as_deref()
            == Some("true"),
        "the ticks are kept"
    );
    choose(client, "kind", "moaas").await;
    choose(client, "moaas", "5").await;
    send_sheet_form(client, sheet, "events").await;
    type_vitals(client, ["126", "80", "74", "98", "14"]).await;
    send_sheet_form(client, sheet, "vitals").await;
    tick(client, "#escort_present").await;
    tick(client, "#no_driving").await;
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(casey)
        .fetch_one(&app.db)
        .await
        .unwrap();
    fill(client, "signed_name", &name).await;
    tick(client, "#meaning").await;
    // Alert and back to baseline, but only just ended: the observation time keeps her.
    submit_and_wait(client, &format!("{sheet}/discharge")).await;
    let observing = text_of(client, "discharge-error").await;
    assert!(observing.contains("observation time"), "{observing}");
    assert!(!observing.contains("MOAA/S"), "{observing}");
    assert_eq!(
        value_of(client, "signed_name").await.as_deref(),
        Some(name.as_str())
    );
    // Half an hour later (the app's clock moves; nobody waits), she may go.
    app.clock.advance(time::Duration::minutes(30));
    tick(client, "#escort_present").await;
    tick(client, "#no_driving").await;
    tick(client, "#meaning").await;
    send_sheet_form(client, sheet, "discharge").await;
    let signed = text_of(client, "signature").await;
    assert!(signed.contains("Discharged and signed"), "{signed}");
    assert!(signed.contains("locked"), "{signed}");
    assert!(
        client
            .find(Locator::Css(&format!("form[action='{sheet}/vitals']")))
            .await
            .is_err(),
        "no more readings on a signed record"
    );
    assert_fits_width(client, "the signed flowsheet").await;
    screenshot(client, "flowsheet-signed-768").await;
    log_out(client).await;
}

async fn afterwards_ann_sees_her_chart_on_her_phone(client: &Client, app: &TestApp) {
    // Afterwards the patient sees her chart and the session on her phone.
    client.set_window_size(360, 740).await.unwrap();
    log_in_from_start(client, app, "ann@clinic.test", "/patient").await;
    client
        .goto(&format!("{}/patient/progress", app.base))
        .await
        .unwrap();
    assert!(client.find(Locator::Css("svg")).await.is_ok(), "a chart");
    let progress = text_of(client, "main").await;
    assert!(progress.contains("17"), "her PHQ-9 score: {progress}");
    assert!(progress.contains("35 mg"), "{progress}");
    assert!(progress.contains("Completed"), "{progress}");
    assert!(
        !progress.contains("ondansetron"),
        "no clinician notes: {progress}"
    );
    assert_fits_width(client, "/patient/progress").await;
    screenshot(client, "patient-progress-360").await;
}
