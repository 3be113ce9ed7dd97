use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use time::OffsetDateTime;

use super::db;
use super::model::{ProfileForm, SexAtBirth, parse_profile};
use crate::audit::{self, action};
use crate::core::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render, render_with_status, see_other};

#[derive(Template)]
#[template(path = "patients/profile.html")]
struct ProfilePage {
    ctx: PageContext,
    form: ProfileForm,
    errors: FormErrors,
    sexes: [SexAtBirth; 3],
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn profile_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Query(query): Query<SavedQuery>,
) -> AppResult<Response> {
    let record = db::profile_for_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entry = audit::Entry::new(action::PROFILE_VIEW, Some(&user), &meta)
        .patient(record.id)
        .detail("details form");
    audit::record_view(&state.db, entry).await?;
    let page = ProfilePage {
        ctx,
        form: record.form(),
        errors: FormErrors::default(),
        sexes: SexAtBirth::ALL,
        saved: query.saved.is_some(),
    };
    render(&page)
}

pub async fn profile_save(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(form): Form<ProfileForm>,
) -> AppResult<Response> {
    let record = db::profile_for_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allow_minors = settings::load(&state.db).await?.allow_minors;
    let today = OffsetDateTime::now_utc().date();
    let profile = match parse_profile(&form, today, allow_minors) {
        Ok(profile) => profile,
        Err(errors) => {
            let page = ProfilePage {
                ctx,
                form,
                errors,
                sexes: SexAtBirth::ALL,
                saved: false,
            };
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut tx = state.db.begin().await?;
    db::save_profile(&mut *tx, record.id, &profile).await?;
    let entry = audit::Entry::new(action::PROFILE_UPDATE, Some(&user), &meta).patient(record.id);
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(see_other("/patient/profile?saved=1"))
}
