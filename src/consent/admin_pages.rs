//! The admin's side: write consent versions as Markdown drafts, preview them, publish them.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::db::{self, Version, VersionSummary};
use super::model::{self, Draft, DraftForm};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, render_with_status, see_other};

#[derive(Template)]
#[template(path = "consent/admin_list.html")]
struct ListPage {
    ctx: PageContext,
    versions: Vec<(VersionSummary, String)>,
}

pub async fn list(State(state): State<AppState>, ctx: PageContext) -> AppResult<Response> {
    let zone = crate::settings::load(&state.db).await?.zone();
    let versions = zone.label_each(db::versions(&state.db).await?, |v| {
        v.published_at.unwrap_or(v.updated_at)
    });
    render(&ListPage { ctx, versions })
}

/// Starts a new draft from the text in force (or empty), to be edited into the next version.
pub async fn new_draft(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
) -> AppResult<Response> {
    let draft = match db::current_version(&state.db).await? {
        Some(current) => Draft {
            title: current.title,
            body: current.body,
        },
        None => Draft {
            title: "Ketamine infusion therapy".into(),
            body: "Write the consent here.".into(),
        },
    };
    let mut tx = state.db.begin().await?;
    let id = db::create_draft(&mut *tx, &draft, admin.id).await?;
    audit::record(
        &mut *tx,
        audit::Entry::new(action::CONSENT_DRAFT, Some(&admin), &meta)
            .detail(format!("draft {id} created")),
    )
    .await?;
    tx.commit().await?;
    Ok(see_other(&format!("/admin/consent/{id}")))
}

#[derive(Template)]
#[template(path = "consent/admin_version.html")]
struct VersionPage {
    ctx: PageContext,
    version: Version,
    form: DraftForm,
    errors: FormErrors,
    /// The text shown as patients will see it: the saved text, or the typed text on preview.
    preview_html: String,
    notice: Option<&'static str>,
    published_on: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "saved" => Some("Draft saved."),
        "published" => {
            Some("Published. Patients who signed an earlier version are asked to sign this one.")
        }
        "not-draft" => Some("This version is already published and can no longer be changed."),
        _ => None,
    }
}

fn version_page(
    ctx: PageContext,
    version: Version,
    form: DraftForm,
    errors: FormErrors,
    preview_of: &str,
    notice: Option<&'static str>,
    zone: crate::clinic_time::ClinicZone,
) -> AppResult<Response> {
    let status = errors.status();
    let page = VersionPage {
        ctx,
        preview_html: model::render_document(preview_of),
        published_on: version.published_at.map(|at| zone.format(at)),
        version,
        form,
        errors,
        notice,
    };
    render_with_status(status, &page)
}

pub async fn version(
    State(state): State<AppState>,
    ctx: PageContext,
    Path(id): Path<i64>,
    Query(query): Query<VersionQuery>,
) -> AppResult<Response> {
    let version = db::version(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = crate::settings::load(&state.db).await?.zone();
    let form = DraftForm {
        title: version.title.clone(),
        body: version.body.clone(),
    };
    let body = version.body.clone();
    let notice = notice(query.notice.as_deref());
    version_page(
        ctx,
        version,
        form,
        FormErrors::default(),
        &body,
        notice,
        zone,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// Which button: "save", "preview" or "publish".
    #[serde(default)]
    action: String,
}

/// Saves, previews (without saving) or publishes the typed draft.
pub async fn save(
    State(state): State<AppState>,
    ctx: PageContext,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
    Form(form): Form<SaveForm>,
) -> AppResult<Response> {
    let version = db::version(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if version.is_published() {
        return Ok(see_other(&format!("/admin/consent/{id}?notice=not-draft")));
    }
    let zone = crate::settings::load(&state.db).await?.zone();
    let typed = DraftForm {
        title: form.title,
        body: form.body,
    };
    // The button's value is only compared, but a NUL in it still gets the field message
    // rather than a save under an action nobody chose.
    let action_problem = crate::core::params::unstorable(&form.action);
    let draft = match (model::check_draft(&typed), action_problem) {
        (Ok(draft), None) => draft,
        (checked, action_problem) => {
            let mut errors = checked.err().unwrap_or_default();
            errors.check("action", action_problem);
            let body = typed.body.clone();
            return version_page(ctx, version, typed, errors, &body, None, zone);
        }
    };
    if form.action == "preview" {
        let notice = Some("Preview only: your changes are not saved yet.");
        let errors = FormErrors::default();
        return version_page(ctx, version, typed, errors, &draft.body, notice, zone);
    }
    let publish = form.action == "publish";
    let mut tx = state.db.begin().await?;
    if !db::save_draft(&mut *tx, id, &draft).await? {
        return Ok(see_other(&format!("/admin/consent/{id}?notice=not-draft")));
    }
    let mut entry = audit::Entry::new(action::CONSENT_DRAFT, Some(&admin), &meta)
        .detail(format!("draft {id} saved"));
    if publish {
        let number = db::publish(&mut tx, id, admin.id).await?;
        entry = audit::Entry::new(action::CONSENT_PUBLISH, Some(&admin), &meta).detail(format!(
            "draft {id} published as version {}",
            number.unwrap_or_default()
        ));
    }
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    let notice = if publish { "published" } else { "saved" };
    Ok(see_other(&format!("/admin/consent/{id}?notice={notice}")))
}

pub async fn discard(
    State(state): State<AppState>,
    admin: CurrentUser,
    meta: RequestMeta,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    if db::discard_draft(&mut *tx, id).await? {
        audit::record(
            &mut *tx,
            audit::Entry::new(action::CONSENT_DRAFT, Some(&admin), &meta)
                .detail(format!("draft {id} discarded")),
        )
        .await?;
        tx.commit().await?;
        Ok(see_other("/admin/consent"))
    } else {
        Ok(see_other(&format!("/admin/consent/{id}?notice=not-draft")))
    }
}
