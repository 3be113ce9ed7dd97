//! A patient's record as one FHIR R4 Bundle of type `collection`, streamed. A task reads the
//! record in one read-only snapshot (REPEATABLE READ: every part as of one moment), kind by
//! kind, and writes each resource into the body as soon as it is built; the body goes out in
//! chunks. The channel between the task and the client holds a few chunks only, so a slow
//! client holds the task back instead of the server buffering the record: memory stays the
//! same however long the record is.
//!
//! Order: the patient, the staff named, the questionnaires' definitions, each questionnaire
//! response followed by its scores, the allergies of the latest screening, consents,
//! appointments, each infusion's administration and weight, then every vitals reading.

use std::io::{self, Write};
use std::pin::pin;

use axum::body::{Body, Bytes};
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use super::db;
use super::model::{Entry, FullUrl, Instant, Resource};
use super::{
    allergy_intolerance, appointment, consent, medication, observation, patient, practitioner,
    questionnaire, questionnaire_response,
};
use crate::audit::{self, Outcome, action};

/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 64 * 1024;
/// Chunks written ahead of the client at most.
const AHEAD: usize = 4;

type Chunk = Result<Bytes, io::Error>;

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the patient is no longer there")]
    NoPatient,
    #[error("the client went away")]
    Gone,
}

impl Failure {
    /// What went wrong, for the log: the kind only, since the error's own text can quote the
    /// value it failed on (a decode error names it), and that may be patient data.
    fn kind(&self) -> &'static str {
        match self {
            Failure::Database(sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_)) => {
                "a stored value could not be read"
            }
            Failure::Database(sqlx::Error::PoolTimedOut) => "no database connection was free",
            Failure::Database(sqlx::Error::Io(_)) => "the database connection failed",
            Failure::Database(_) => "the database refused a query",
            Failure::Json(_) => "writing the JSON failed",
            Failure::NoPatient => "the patient is no longer there",
            Failure::Gone => "the client went away",
        }
    }

    /// PostgreSQL's error code, when the database gave one.
    fn sqlstate(&self) -> Option<String> {
        match self {
            Failure::Database(e) => e
                .as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.into_owned()),
            _ => None,
        }
    }
}

/// Who asked for the export, for the audit entry should it fail part-way.
pub struct Requester {
    pub user_id: i64,
    pub role: &'static str,
    pub client_addr: String,
    pub request_id: String,
}

/// The body being written: the current chunk and the channel to the client.
struct Sink {
    buf: Vec<u8>,
    tx: mpsc::Sender<Chunk>,
    base: String,
    entries: usize,
}

impl Sink {
    async fn put<R: Resource>(&mut self, resource: &R) -> Result<(), Failure> {
        if self.entries > 0 {
            self.buf.push(b',');
        }
        let entry = Entry {
            full_url: FullUrl {
                base: &self.base,
                id: resource.id(),
            },
            resource,
        };
        serde_json::to_writer(&mut self.buf, &entry)?;
        self.entries += 1;
        if self.buf.len() >= CHUNK {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), Failure> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + CHUNK / 2));
        self.tx
            .send(Ok(Bytes::from(chunk)))
            .await
            .map_err(|_| Failure::Gone)
    }
}

/// The response body: the bundle as it is written. A failure part-way is logged (ids and the
/// kind of failure only), audited, and ends the body with an error, so the client sees a
/// broken download rather than a bundle that merely looks short.
pub fn stream(db: PgPool, base: String, patient_id: i64, requester: Requester) -> Body {
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::spawn(async move {
        let mut sink = Sink {
            buf: Vec::with_capacity(CHUNK + CHUNK / 2),
            tx,
            base,
            entries: 0,
        };
        match write(&db, &mut sink, patient_id).await {
            Ok(()) => {}
            Err(Failure::Gone) => {
                tracing::debug!(patient_id, "FHIR export: the client went away");
            }
            Err(failure) => {
                tracing::error!(
                    patient_id,
                    failure = failure.kind(),
                    sqlstate = failure.sqlstate().as_deref().unwrap_or("-"),
                    "FHIR export failed part-way"
                );
                let _ = sink
                    .tx
                    .send(Err(io::Error::other("the export failed part-way")))
                    .await;
                let entry = audit::Entry {
                    actor_id: Some(requester.user_id),
                    actor_role: Some(requester.role),
                    action: action::FHIR_EXPORT,
                    patient_id: Some(patient_id),
                    outcome: Some(Outcome::Failure),
                    client_addr: Some(&requester.client_addr),
                    request_id: Some(&requester.request_id),
                    detail: Some("stopped part-way".to_owned()),
                };
                if let Err(e) = audit::record(&db, entry).await {
                    tracing::error!(error = %e, "could not audit the failed export");
                }
            }
        }
    });
    Body::from_stream(ReceiverStream::new(rx))
}

async fn write(db: &PgPool, sink: &mut Sink, patient_id: i64) -> Result<(), Failure> {
    let mut tx = db
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let base = sink.base.clone();
    let person = db::patient(&mut *tx, patient_id)
        .await?
        .ok_or(Failure::NoPatient)?;
    write!(
        sink.buf,
        r#"{{"resourceType":"Bundle","type":"collection","timestamp":"{}","entry":["#,
        Instant(OffsetDateTime::now_utc())
    )
    .map_err(serde_json::Error::io)?;
    sink.put(&patient::patient(&base, &person)).await?;

    {
        let mut rows = pin!(db::staff(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            sink.put(&practitioner::practitioner(&row)).await?;
        }
    }

    let answered = db::instruments_answered(&mut *tx, patient_id).await?;
    let forms: Vec<questionnaire::Form> = questionnaire::INSTRUMENTS
        .iter()
        .filter(|code| answered.iter().any(|a| a == *code))
        .filter_map(|code| questionnaire::form(code))
        .collect();
    for form in &forms {
        sink.put(&questionnaire::questionnaire(&base, form)).await?;
    }
    {
        let mut rows = pin!(db::responses(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            let Some(form) = forms.iter().find(|f| f.instrument == row.instrument) else {
                continue;
            };
            sink.put(&questionnaire_response::questionnaire_response(
                &base, patient_id, form, &row,
            ))
            .await?;
            for score in observation::scores(patient_id, &row) {
                sink.put(&score).await?;
            }
        }
    }

    if let Some(row) = crate::screening::db::latest_medicines(&mut *tx, patient_id).await? {
        let row = allergy_intolerance::AllergyRow {
            screening_id: row.screening_id,
            submitted_at: row.submitted_at,
            allergies: crate::screening::rules::allergies(&row.allergies),
        };
        for allergy in allergy_intolerance::allergy_intolerances(patient_id, &row) {
            sink.put(&allergy).await?;
        }
    }

    {
        let mut rows = pin!(db::signatures(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            sink.put(&consent::signature(&base, patient_id, &row))
                .await?;
        }
    }
    {
        let mut rows = pin!(db::withdrawals(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            sink.put(&consent::withdrawal(patient_id, &row)).await?;
        }
    }
    {
        let mut rows = pin!(db::appointments(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            sink.put(&appointment::appointment(patient_id, &row))
                .await?;
        }
    }
    {
        let mut rows = pin!(db::infusions(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            if let Some(given) = medication::administration(patient_id, &row) {
                sink.put(&given).await?;
            }
            if let Some(weight) = observation::weight(patient_id, &row) {
                sink.put(&weight).await?;
            }
        }
    }
    {
        let mut rows = pin!(db::vitals(&mut *tx, patient_id));
        while let Some(row) = rows.try_next().await? {
            for sign in observation::vitals(patient_id, &row) {
                sink.put(&sign).await?;
            }
        }
    }

    tx.commit().await?;
    sink.buf.extend_from_slice(b"]}");
    sink.send().await
}
