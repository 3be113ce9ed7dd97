//! The bladder and memory follow-up questionnaire (our own short form): the patient fills it
//! when it falls due; a clinician sees its subtotals and whether it needs review.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;

use super::follow_up::{self, KEYS};
use super::model::{self, FOLLOW_UP_OPTIONS, FOLLOW_UP_QUESTION, FollowUpItem};
use crate::core::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{FormErrors, PageContext, RequestMeta, render_with_status, see_other};

#[derive(Template)]
#[template(path = "outcomes/follow_up.html")]
struct FollowUpPage {
    ctx: PageContext,
    question: &'static str,
    items: &'static [FollowUpItem],
    options: [(i16, &'static str); 4],
    typed: HashMap<String, String>,
    errors: FormErrors,
}

impl FollowUpPage {
    fn key(&self, item: &FollowUpItem) -> &'static str {
        KEYS.get(usize::from(item.number).saturating_sub(1))
            .copied()
            .unwrap_or("item")
    }

    fn chosen(&self, key: &str, value: &i16) -> bool {
        self.typed
            .get(key)
            .is_some_and(|v| v.trim() == value.to_string())
    }
}

fn page(
    ctx: PageContext,
    typed: HashMap<String, String>,
    errors: FormErrors,
) -> AppResult<Response> {
    render_with_status(
        errors.status(),
        &FollowUpPage {
            ctx,
            question: FOLLOW_UP_QUESTION,
            items: model::follow_up_items(),
            options: FOLLOW_UP_OPTIONS,
            typed,
            errors,
        },
    )
}

pub async fn form(ctx: PageContext) -> AppResult<Response> {
    page(ctx, HashMap::new(), FormErrors::default())
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    meta: RequestMeta,
    Form(typed): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    match follow_up::submit(&state, &user, &meta, &typed).await? {
        Ok(()) => Ok(see_other("/patient/progress?notice=follow-up")),
        Err(errors) => page(ctx, typed, errors),
    }
}
