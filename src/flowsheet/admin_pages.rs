//! The admin's infusion set-up: the flowsheet's clinic settings (hold threshold, dose limits,
//! vitals interval and alert ranges, discharge margins, follow-up cadence) and the dosing
//! protocols.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::db;
use super::model::{self, Protocol, ProtocolForm, Route, RulesForm};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppResult, violated_constraint};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

#[derive(Template)]
#[template(path = "flowsheet/admin.html")]
struct SetupPage {
    ctx: PageContext,
    rules: RulesForm,
    protocol: ProtocolForm,
    protocols: Vec<Protocol>,
    routes: [Route; 3],
    errors: FormErrors,
    notice: Option<&'static str>,
}

impl SetupPage {
    fn mg(&self, value: &f64) -> String {
        model::plain_number(*value)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageContext,
    rules: Option<RulesForm>,
    protocol: ProtocolForm,
    errors: FormErrors,
    notice: Option<&'static str>,
) -> AppResult<Response> {
    let rules = match rules {
        Some(typed) => typed,
        None => RulesForm::of(&db::rules(&state.db).await?),
    };
    let status = errors.status();
    render_with_status(
        status,
        &SetupPage {
            ctx,
            rules,
            protocol,
            protocols: db::protocols(&state.db).await?,
            routes: Route::ALL,
            errors,
            notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageContext,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let notice = match query.notice.as_deref() {
        Some("saved") => Some("Infusion settings saved."),
        Some("protocol") => Some("Protocols updated."),
        _ => None,
    };
    page(
        &state,
        ctx,
        None,
        ProtocolForm::default(),
        FormErrors::default(),
        notice,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<RulesForm>,
) -> AppResult<Response> {
    let rules = match model::check_rules(&form) {
        Ok(rules) => rules,
        Err(errors) => {
            return page(
                &state,
                ctx,
                Some(form),
                ProtocolForm::default(),
                errors,
                None,
            )
            .await;
        }
    };
    let mut tx = state.db.begin().await?;
    db::save_rules(&mut *tx, &rules).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SETTINGS_UPDATE, Some(&admin), &meta).detail("infusion settings"),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other("/admin/treatment?notice=saved"))
}

pub async fn add_protocol(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<ProtocolForm>,
) -> AppResult<Response> {
    let (name, route, mg_per_kg, minutes) = match model::check_protocol(&form) {
        Ok(protocol) => protocol,
        Err(errors) => return page(&state, ctx, None, form, errors, None).await,
    };
    let mut tx = state.db.begin().await?;
    match db::add_protocol(&mut *tx, &name, route, mg_per_kg, minutes).await {
        Err(e) if violated_constraint(&e) == Some("infusion_protocols_name_key") => {
            let mut errors = FormErrors::default();
            errors.add("protocol_name", "A protocol of that name exists already.");
            return page(&state, ctx, None, form, errors, None).await;
        }
        result => result?,
    }
    audit::record(
        &mut *tx,
        audit::Entry::new(action::SETTINGS_UPDATE, Some(&admin), &meta)
            .detail(format!("protocol added: {name}")),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other("/admin/treatment?notice=protocol"))
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn protocol_active(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(form): Form<ActiveForm>,
) -> AppResult<Response> {
    let active = form.active == "true";
    let mut tx = state.db.begin().await?;
    if db::set_protocol_active(&mut *tx, id, active).await? {
        audit::record(
            &mut *tx,
            audit::Entry::new(action::SETTINGS_UPDATE, Some(&admin), &meta).detail(format!(
                "protocol {id} {}",
                if active { "in use" } else { "retired" }
            )),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(see_other("/admin/treatment?notice=protocol"))
}
