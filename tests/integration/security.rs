//! Anti-forgery checks, security headers, self-hosted assets and accessible markup.

use clinic::auth::model::Role;
use reqwest::StatusCode;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn posts_without_a_valid_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let fields = [
        ("name", "Mallory"),
        ("email", "mallory@clinic.test"),
        ("role", "admin"),
        ("password", "a very long passphrase"),
    ];

    let missing = admin.post_raw("/admin/staff", &fields).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    missing.assert_contains("The form had expired or did not come from this site");

    let mut forged = fields.to_vec();
    forged.push((
        "csrf_token",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ));
    assert_eq!(
        admin.post_raw("/admin/staff", &forged).await.status,
        StatusCode::FORBIDDEN
    );

    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'mallory@clinic.test'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(users, 0);
    // The same form with the page's token goes through.
    assert_eq!(
        admin.post("/admin/staff", &fields).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_cross_site_origin_is_refused_even_with_a_token() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    let client = app.client();
    let token = client.csrf_token().await;
    let body = serde_urlencoded::to_string([
        ("email", "pat@clinic.test"),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
    ])
    .unwrap();
    let cookie = format!("clinic_csrf={token}");
    let request = reqwest::Client::new()
        .post(client.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://evil.example")
        .header("cookie", cookie)
        .body(body);
    let page = client.send(request).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn login_and_registration_forms_need_the_token_too() {
    let app = TestApp::spawn().await;
    app.add_user(Role::Patient, "pat@clinic.test").await;
    let page = app
        .client()
        .post_raw(
            "/login",
            &[("email", "pat@clinic.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = app
        .client()
        .post_raw("/register", &[("name", "X"), ("email", "x@clinic.test")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for path in ["/login", "/static/app.css", "/no-such-page", "/healthz"] {
        let page = client.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(page.header("referrer-policy"), "same-origin", "{path}");
        assert!(!page.header("x-request-id").is_empty(), "{path}");
        // Plain HTTP: no HSTS.
        assert_eq!(page.header("strict-transport-security"), "", "{path}");
    }
    assert_eq!(
        client.get("/login").await.header("cache-control"),
        "no-store"
    );
}

#[tokio::test]
async fn pages_use_only_assets_served_by_the_app_and_no_inline_script() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.logged_in(Role::Admin, "avery@clinic.test").await;
    let anonymous = app.client();
    let pages = [
        anonymous.get("/login").await,
        anonymous.get("/register").await,
        admin.get("/admin").await,
        admin.get("/admin/staff").await,
        admin.get("/admin/staff/new").await,
        admin.get("/admin/settings").await,
        admin.get("/admin/audit").await,
    ];
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK);
        for attribute in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "url(http",
        ] {
            page.assert_lacks(attribute);
        }
        page.assert_lacks("<script>")
            .assert_lacks(" onclick=")
            .assert_lacks(" style=\"");
        assert_labelled(&page.body);
        page.assert_contains("<main id=\"main\"")
            .assert_contains("<header")
            .assert_contains("<nav");
    }
    for asset in ["/static/app.css", "/static/app.js", "/static/icon.svg"] {
        let page = anonymous.get(asset).await;
        assert_eq!(page.status, StatusCode::OK, "{asset}");
        assert!(
            page.header("cache-control").starts_with("public"),
            "{asset}"
        );
    }
    let css = anonymous.get("/static/app.css").await;
    css.assert_contains("@media print")
        .assert_contains(":focus-visible")
        .assert_contains("@media (min-width");
}

/// Every visible form control has a `<label for>` naming it.
fn assert_labelled(html: &str) {
    for chunk in html
        .split("<input")
        .skip(1)
        .chain(html.split("<select").skip(1))
    {
        let tag = &chunk[..chunk.find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag
            .split("id=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("control without id: {tag}"));
        assert!(
            html.contains(&format!("<label for=\"{id}\"")),
            "no label for #{id}"
        );
    }
}
